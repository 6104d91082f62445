module github.com/phonecheck/phonecheck

go 1.26.8

require (
	github.com/nyaruka/phonenumbers v1.8.1
	golang.org/x/text v0.43.0
)

require google.golang.org/protobuf v1.36.11 // indirect
