package phone

import (
	"bytes"
	"testing"

	"github.com/nyaruka/phonenumbers"
	"github.com/phonecheck/phonecheck/phone/internal/automata"
)

// TestAutomataFresh regenerates the automata in memory and requires the
// checked-in automata.bin to be the same bytes: it fails when nyaruka's
// metadata or the generator changed without go generate ./phone.
func TestAutomataFresh(t *testing.T) {
	coll, err := phonenumbers.MetadataCollection()
	if err != nil {
		t.Fatal(err)
	}
	tables, err := automata.Build(coll)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(tables.Encode(), automataBin) {
		t.Fatal("automata.bin is stale: run go generate ./phone")
	}
	if _, _, err := loadAutomata(coll); err != nil {
		t.Fatal(err)
	}
	for _, rm := range meta().all() {
		if rm.auto == nil || rm.typesA == automata.NoAutomaton || rm.formatsA == automata.NoAutomaton || rm.iddA == automata.NoAutomaton {
			t.Errorf("%s: automata not loaded", rm.meta.GetId())
		}
	}
}
