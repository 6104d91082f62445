# Submit the file first: phonecheck submit contacts.txt (or drop it into a watched inbox).
data "phonecheck_task" "contacts" {
  file       = "${path.module}/contacts.txt"
  wait       = true
  only_valid = true
  types      = ["mobile"]
  regions    = ["CH"]

  timeouts = {
    read = "30m"
  }
}

output "mobile_numbers" {
  value = data.phonecheck_task.contacts.valid_numbers
}
