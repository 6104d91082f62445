output "is_valid" {
  value = provider::phonecheck::is_valid("+41 44 668 18 00", "") # true
}
