module example.com/ignores

go 1.25

ignore ./node_modules

ignore (
	./frontend/node_modules
	"./docs/site"
	./node_modules
)
