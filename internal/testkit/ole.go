package testkit

import (
	"bytes"
	"encoding/binary"
	"unicode/utf16"
)

// CompoundFile builds an OLE compound file (version 3) holding streams of 4,096
// bytes each under these names: what Office writes a password-protected
// workbook as (EncryptionInfo, EncryptedPackage) or a legacy one (Workbook).
func CompoundFile(names ...string) []byte {
	const sector = 512
	const free, end, fatSect, noStream = 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD, 0xFFFFFFFF
	streamSectors := 4096 / sector
	le := binary.LittleEndian
	header := make([]byte, sector)
	copy(header, "\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1")
	le.PutUint16(header[24:], 0x3E)
	le.PutUint16(header[26:], 3)
	le.PutUint16(header[28:], 0xFFFE)
	le.PutUint16(header[30:], 9)
	le.PutUint16(header[32:], 6)
	le.PutUint32(header[44:], 1)    // FAT sectors
	le.PutUint32(header[48:], 1)    // first directory sector
	le.PutUint32(header[56:], 4096) // mini stream cutoff
	le.PutUint32(header[60:], end)  // no mini FAT
	le.PutUint32(header[68:], end)  // no DIFAT sectors
	le.PutUint32(header[76:], 0)    // DIFAT[0]: the FAT is sector 0
	for i := 1; i < 109; i++ {
		le.PutUint32(header[76+4*i:], free)
	}
	fat := make([]byte, sector)
	for i := range 128 {
		le.PutUint32(fat[4*i:], free)
	}
	le.PutUint32(fat[0:], fatSect)
	le.PutUint32(fat[4:], end)
	dir := make([]byte, sector)
	entry := func(i int, name string, typ byte, left, right, child, start, size uint32) {
		e := dir[128*i : 128*(i+1)]
		u := utf16.Encode([]rune(name))
		for k, c := range u {
			le.PutUint16(e[2*k:], c)
		}
		le.PutUint16(e[64:], uint16(2*len(u)+2))
		e[66], e[67] = typ, 1
		le.PutUint32(e[68:], left)
		le.PutUint32(e[72:], right)
		le.PutUint32(e[76:], child)
		le.PutUint32(e[116:], start)
		le.PutUint32(e[120:], size)
	}
	entry(0, "Root Entry", 5, noStream, noStream, 1, end, 0)
	for i, name := range names {
		next := uint32(noStream)
		if i+2 <= len(names) {
			next = uint32(i + 2)
		}
		first := 2 + i*streamSectors
		entry(i+1, name, 2, noStream, next, noStream, uint32(first), 4096)
		for s := first; s < first+streamSectors; s++ {
			v := uint32(s + 1)
			if s == first+streamSectors-1 {
				v = end
			}
			le.PutUint32(fat[4*s:], v)
		}
	}
	for i := len(names) + 1; i < 4; i++ {
		entry(i, "", 0, noStream, noStream, noStream, 0, 0)
	}
	var b bytes.Buffer
	b.Write(header)
	b.Write(fat)
	b.Write(dir)
	b.Write(make([]byte, len(names)*4096))
	return b.Bytes()
}
