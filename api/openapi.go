package api

import (
	_ "embed"

	"github.com/gofiber/fiber/v2"
)

//go:embed openapi.json
var openAPIDoc []byte

func (s *Server) openAPI(c *fiber.Ctx) error {
	c.Set(fiber.HeaderContentType, "application/json")
	c.Response().SetBody(openAPIDoc)
	return s.conditional(c, cacheDoc, 0, nil)
}
