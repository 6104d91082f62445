data "phonecheck_numbers" "contacts" {
  numbers = ["044 668 18 00", "+41 44 668 18 00", "079 123 45 67", "12"]
  region  = "CH"
}

output "valid_numbers" {
  value = data.phonecheck_numbers.contacts.valid_numbers
}

output "invalid_inputs" {
  value = [for r in data.phonecheck_numbers.contacts.results : r.input if !r.valid]
}
