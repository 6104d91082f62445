output "e164" {
  value = provider::phonecheck::e164("044 668 18 00", "CH") # "+41446681800"
}
