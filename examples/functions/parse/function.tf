output "type" {
  value = provider::phonecheck::parse("079 123 45 67", "CH").type # "mobile"
}
