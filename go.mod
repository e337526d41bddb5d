module github.com/apishield/apishield

go 1.25.0

require github.com/go-chi/chi/v5 v5.5.0

require github.com/gorilla/mux v1.8.1
