package input

import (
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// Phone column names, normalized (see normalizeName), in the languages a
// contact export is likely to be in: English, German, French, Spanish,
// Italian and Portuguese, with common abbreviations.
var (
	// phoneWords name a phone column wherever they stand in a header, as
	// words: "Phone", "Mobile phone", "Telefon privat", "Tél. portable".
	phoneWords = words(
		"phone", "telephone", "tel", "mobile", "mobil", "cell", "cellphone", "cellular", "msisdn", "whatsapp",
		"sms", "gsm", "phonenumber", "mobilephone", "mobilenumber", "telephonenumber", "contactnumber",
		// German
		"telefon", "telefonnummer", "handy", "handynummer", "mobilnummer", "mobiltelefon", "rufnummer", "festnetz",
		"telnr", "natel", "mobilfunk", "mobilfunknummer",
		// French
		"portable", "numero de telephone", "telephone portable", "tel portable", "tel mobile",
		// Spanish
		"telefono", "movil", "celular", "tfno", "tlf", "tlfno", "numero de telefono",
		// Italian
		"cellulare", "numero di telefono",
		// Portuguese
		"telefone", "telemovel", "numero de telefone",
	)
	// phoneStems name a phone column inside a compound word too:
	// "Geschäftstelefon", "homephone", "Handynummer".
	phoneStems = []string{"telefon", "phone", "handy", "mobilnummer", "rufnummer", "whatsapp", "msisdn", "telemovel", "cellulare"}
	// numberWords name a phone column only as the whole header: "Number"
	// alone is most often a phone number, "Order number" is not.
	numberWords = words("number", "nummer", "numero", "no", "nr", "num", "n")
)

func words(ws ...string) map[string]bool {
	m := make(map[string]bool, len(ws))
	for _, w := range ws {
		m[w] = true
	}
	return m
}

// nameRank tells how a header names a phone column: 3 exactly (Phone,
// Telefon, Mobile), 2 in a word or compound (Mobile phone, Privattelefon),
// 1 as "Number" and its translations, 0 not at all.
func nameRank(header string) int {
	n := normalizeName(header)
	compact := strings.ReplaceAll(n, " ", "")
	switch {
	case n == "":
		return 0
	case phoneWords[n], phoneWords[compact]:
		return 3
	case numberWords[n]:
		return 1
	}
	fields := strings.Fields(n)
	for i := range fields {
		if phoneWords[fields[i]] || i+1 < len(fields) && phoneWords[fields[i]+" "+fields[i+1]] {
			return 2
		}
	}
	for _, stem := range phoneStems {
		if strings.Contains(compact, stem) {
			return 2
		}
	}
	return 0
}

// normalizeName lowercases a header, drops accents (é is e, ß is ss),
// splits camelCase, and makes every run of other characters one space:
// "Téléphone (mobile)" is "telephone mobile", "phoneNumber" "phone number".
func normalizeName(s string) string {
	var b strings.Builder
	prevLower, space := false, true
	for _, r := range norm.NFD.String(s) {
		switch {
		case unicode.Is(unicode.Mn, r): // a combining accent
			continue
		case r == 'ß':
			b.WriteString("ss")
			prevLower, space = true, false
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			if unicode.IsUpper(r) && prevLower && !space {
				b.WriteByte(' ')
			}
			b.WriteRune(unicode.ToLower(r))
			prevLower, space = unicode.IsLower(r) || unicode.IsDigit(r), false
		default:
			if !space {
				b.WriteByte(' ')
			}
			prevLower, space = false, true
		}
	}
	return strings.TrimSpace(b.String())
}
