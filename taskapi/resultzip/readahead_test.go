package resultzip

import "testing"

// TestReadAheadGivesTheSameAnswers reads every zip of the reading tests
// with each text entry inflated ahead (as an entry of 8 MiB or more is):
// the same rows, the same errors at the same rows, the same limits.
func TestReadAheadGivesTheSameAnswers(t *testing.T) {
	defer func(old uint64) { readAheadMin = old }(readAheadMin)
	readAheadMin = 0
	for name, test := range map[string]func(*testing.T){
		"OpenZipCSV": TestOpenZipCSV, "OpenZipText": TestOpenZipText, "HeaderVariations": TestHeaderVariations,
		"EntryChoice": TestEntryChoice, "OpenZipFile": TestOpenZipFile, "BadZips": TestBadZips,
		"BadRowsWhileReading": TestBadRowsWhileReading, "ZipBomb": TestZipBomb, "TotalSize": TestTotalSize,
		"TextFastPathLongLines": TestTextFastPathLongLines,
	} {
		t.Run(name, test)
	}
}
