module "example.com/esc\x61ped"

go 1.24

replace example.com/lib => "./dir with spaces/\u00e9t\u00E9"
