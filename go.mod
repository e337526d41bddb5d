module github.com/apishield/apishield

go 1.25.0
