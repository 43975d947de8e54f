module example.com/shortversions

go 1.21

require (
	example.com/one v1
	example.com/two v1.2
	example.com/three v1.2.3-rc.1
	example.com/four v1.2.3+build.7
	example.com/five v2.0.0+incompatible
	example.com/six/v3 v3.1.0
	gopkg.in/yaml.v3 v3.0.1
	gopkg.in/check.v1 v0.0.0-20161208181325-20d25e280405
)
