package api

import (
	"fmt"
	"strings"

	"github.com/gofiber/fiber/v2"
	"golang.org/x/text/language"

	"github.com/stageindex/stageindex"
)

// Messages of problems are in French by default, in English when the
// request's Accept-Language prefers it. A parameter's message is written
// from its stable code and its Args (min, max, value…), never parsed out
// of the English text, so that both languages say the same; clients that
// want their own words use the code (the page and the widget do).

type lang int

const (
	fr lang = iota
	en
)

// languages are the ones messages exist in, the default first.
var languages = language.NewMatcher([]language.Tag{language.French, language.English})

// langOf negotiates the language of a request's messages.
func langOf(c *fiber.Ctx) lang {
	h := c.Get(fiber.HeaderAcceptLanguage)
	if h == "" {
		return fr
	}
	_, i := language.MatchStrings(languages, h)
	if i == 1 {
		return en
	}
	return fr
}

// msgArgs reads a ParamError's Args.
type msgArgs map[string]any

func (a msgArgs) has(k string) bool { _, ok := a[k]; return ok && a[k] != "" }
func (a msgArgs) s(k string) string {
	if v, ok := a[k]; ok {
		return fmt.Sprint(v)
	}
	return ""
}

// paramMessages are the two languages of each parameter code. A code
// missing here keeps the English message its producer wrote; a test
// checks that every code of errors.go is here.
var paramMessages = map[stageindex.ParamCode][2]func(a msgArgs) string{
	stageindex.CodeRequired: {
		func(a msgArgs) string { return "est requis avec " + a.s("with") },
		func(a msgArgs) string { return "is required with " + a.s("with") },
	},
	stageindex.CodeRepeated: {
		func(msgArgs) string { return "ne doit être donné qu'une fois" },
		func(msgArgs) string { return "must be given once" },
	},
	stageindex.CodeInvalidUTF8: {
		func(msgArgs) string { return "doit être du texte UTF-8 valide" },
		func(msgArgs) string { return "must be valid UTF-8" },
	},
	stageindex.CodeTooManyValues: {
		func(a msgArgs) string { return "accepte au plus " + a.s("max") + " valeurs" },
		func(a msgArgs) string { return "takes at most " + a.s("max") + " values" },
	},
	stageindex.CodeNotANumber: {
		func(msgArgs) string { return "doit être un nombre" },
		func(msgArgs) string { return "must be a number" },
	},
	stageindex.CodeNotAnInteger: {
		func(msgArgs) string { return "doit être un nombre entier" },
		func(msgArgs) string { return "must be a whole number" },
	},
	stageindex.CodeNotABoolean: {
		func(msgArgs) string { return "doit valoir true ou false" },
		func(msgArgs) string { return "must be true or false" },
	},
	stageindex.CodeOutOfRange: {
		func(a msgArgs) string { return "doit être compris entre " + a.s("min") + " et " + a.s("max") },
		func(a msgArgs) string { return "must be between " + a.s("min") + " and " + a.s("max") },
	},
	stageindex.CodeNotOneOf: {
		func(a msgArgs) string { return quoted(a, fr) + "doit être l'une de ces valeurs : " + a.s("allowed") },
		func(a msgArgs) string { return quoted(a, en) + "must be one of " + a.s("allowed") },
	},
	stageindex.CodeTooLong: {
		func(a msgArgs) string { return "est trop long (" + a.s("max") + " caractères au plus)" },
		func(a msgArgs) string { return "is too long (" + a.s("max") + " characters at most)" },
	},
	stageindex.CodeTooShort: {
		func(a msgArgs) string { return "demande au moins " + a.s("min") + " caractères" },
		func(a msgArgs) string { return "needs at least " + a.s("min") + " characters" },
	},
	stageindex.CodeConflict: {
		func(msgArgs) string { return "donnez soit where, soit lat et lng, pas les deux" },
		func(msgArgs) string { return "give either where or lat and lng, not both" },
	},
	stageindex.CodeUnknownPlace: {
		func(a msgArgs) string {
			return quoted(a, fr) + "n'est ni une commune, ni un code postal, ni un département, ni une région connus"
		},
		func(a msgArgs) string { return quoted(a, en) + "is no known town, postcode, département or région" },
	},
	stageindex.CodeAmbiguousPlace: {
		func(a msgArgs) string {
			return quoted(a, fr) + "désigne plusieurs lieux : choisissez parmi candidates"
		},
		func(a msgArgs) string { return quoted(a, en) + "names several places: pick one of candidates" },
	},
	stageindex.CodeUnknownSector: {
		func(a msgArgs) string { return quoted(a, fr) + "n'est pas un secteur connu (voir /api/v1/stats)" },
		func(a msgArgs) string { return quoted(a, en) + "is not a known sector (see /api/v1/stats)" },
	},
	stageindex.CodeInvalidWeek: {
		func(a msgArgs) string { return quoted(a, fr) + "n'est pas une semaine ISO qui existe, comme 2027-W05" },
		func(a msgArgs) string { return quoted(a, en) + "is not an ISO week that exists, such as 2027-W05" },
	},
	stageindex.CodeInvalidDept: {
		func(a msgArgs) string { return quoted(a, fr) + "n'est pas un code de département comme 22, 2A ou 974" },
		func(a msgArgs) string { return quoted(a, en) + "is not a département code such as 22, 2A or 974" },
	},
	stageindex.CodeInvalidROME: {
		func(a msgArgs) string {
			return quoted(a, fr) + "n'est pas un code ROME (fiche, domaine ou grand domaine)"
		},
		func(a msgArgs) string { return quoted(a, en) + "is not a ROME code (fiche, domaine or grand domaine)" },
	},
	stageindex.CodeNeedsPlace: {
		func(msgArgs) string { return "le tri par distance demande un lieu : where, ou lat et lng" },
		func(msgArgs) string { return "distance needs a place: where, or lat and lng" },
	},
	stageindex.CodeTooDeep: {
		func(a msgArgs) string { return "page × per_page ne doit pas dépasser " + a.s("max") },
		func(a msgArgs) string { return "page × per_page must not exceed " + a.s("max") },
	},
	stageindex.CodeInvalidID: {
		func(msgArgs) string { return "n'est pas un identifiant d'offre possible" },
		func(msgArgs) string { return "is not a possible offer id" },
	},
	stageindex.CodeInvalid: {
		func(a msgArgs) string {
			if a.s("reason") == "export_paging" {
				return "un export n'a pas de pages : il donne toutes les offres trouvées"
			}
			return "n'est pas valide"
		},
		func(a msgArgs) string {
			if a.s("reason") == "export_paging" {
				return "an export has no paging: it gives every matching offer"
			}
			return "is not valid"
		},
	},
	stageindex.CodeRateLimited: {
		func(a msgArgs) string {
			return "trop de requêtes de ce client : réessayez dans " + a.s("seconds") + " s"
		},
		func(a msgArgs) string { return "too many requests from this client: retry in " + a.s("seconds") + " s" },
	},
	stageindex.CodeInvalidKey: {
		func(a msgArgs) string {
			switch a.s("reason") {
			case "scheme":
				return "doit être Bearer suivi d'une clé partenaire"
			case "no_keys":
				return "ce serveur n'a pas de clés partenaires"
			}
			return "n'est pas une clé partenaire"
		},
		func(a msgArgs) string {
			switch a.s("reason") {
			case "scheme":
				return "must be Bearer followed by a partner key"
			case "no_keys":
				return "this server has no partner keys"
			}
			return "is not a partner key"
		},
	},
	stageindex.CodeRevokedKey: {
		func(a msgArgs) string { return "cette clé a été révoquée le " + a.s("date") },
		func(a msgArgs) string { return "this key was revoked on " + a.s("date") },
	},
	stageindex.CodeExpiredKey: {
		func(a msgArgs) string { return "cette clé a expiré le " + a.s("date") },
		func(a msgArgs) string { return "this key expired on " + a.s("date") },
	},
}

// quoted starts a message with the value at fault, when known.
func quoted(a msgArgs, l lang) string {
	if !a.has("value") {
		return ""
	}
	if l == fr {
		return "« " + a.s("value") + " » "
	}
	return fmt.Sprintf("%q ", a.s("value"))
}

// localize rewrites each parameter error's message in l. A single-valued
// parameter's value, when its producer did not give it, is read from the
// request.
func localize(c *fiber.Ctx, params []stageindex.ParamError, l lang) []stageindex.ParamError {
	out := make([]stageindex.ParamError, len(params))
	for i, p := range params {
		out[i] = p
		m, ok := paramMessages[p.Code]
		if !ok {
			continue
		}
		a := msgArgs(p.Args)
		if !a.has("value") && p.Param != "" && (p.Code == stageindex.CodeUnknownPlace || p.Code == stageindex.CodeAmbiguousPlace) {
			a = msgArgs{"value": c.Query(p.Param)}
			for k, v := range p.Args {
				a[k] = v
			}
		}
		out[i].Message = m[l](a)
	}
	return out
}

// problemTexts are the title of each error code and its default detail.
var problemTexts = map[stageindex.ErrorCode][2][2]string{
	stageindex.EINVALID:      {{"Requête invalide", "Certains paramètres sont invalides : voir errors."}, {"Invalid request", "Some parameters are invalid: see errors."}},
	stageindex.ENOTFOUND:     {{"Introuvable", "Rien à cette adresse."}, {"Not found", "Nothing at this address."}},
	stageindex.EUNAVAILABLE:  {{"Pas encore prêt", "Le service démarre : réessayez dans quelques secondes."}, {"Not ready", "The service is starting: retry in a few seconds."}},
	stageindex.EUNAUTHORIZED: {{"Clé partenaire invalide", "La clé partenaire n'est pas valide : voir errors."}, {"Invalid partner key", "The partner key is not valid: see errors."}},
	stageindex.ELIMITED:      {{"Trop de requêtes", "Trop de requêtes : attendez le délai de Retry-After."}, {"Too many requests", "Too many requests: wait for Retry-After."}},
	eMethodNotAllowed:        {{"Méthode non permise", "Cette adresse ne se lit qu'avec GET : voir l'en-tête Allow."}, {"Method not allowed", "This address is only read with GET: see the Allow header."}},
	eTimeout:                 {{"Requête trop lente", "La requête n'est pas arrivée à temps."}, {"Request timeout", "The request did not arrive in time."}},
	eTooLarge:                {{"Requête trop grande", "Le corps de la requête est trop grand."}, {"Request too large", "The request body is too large."}},
	eHeaderTooLarge:          {{"En-têtes trop grands", "Les en-têtes de la requête sont trop grands."}, {"Request header too large", "The request's headers are too large."}},
	eMalformed:               {{"Requête mal formée", "La requête HTTP est mal formée."}, {"Malformed request", "The HTTP request is malformed."}},
	stageindex.EINTERNAL:     {{"Erreur interne", "Une erreur interne est survenue."}, {"Internal error", "An internal error occurred."}},
}

// problemDetails translate the details the server writes (English, in
// Error.Message); any other detail is replaced by its code's default, so
// that a French reader never gets English.
var problemDetails = map[string][2]string{
	"the index is still loading":                           {"L'index des offres est en cours de chargement : réessayez dans quelques secondes.", "The index is still loading: retry in a few seconds."},
	"too many exports are running, retry in a few seconds": {"Trop d'exports sont en cours : réessayez dans quelques secondes.", "Too many exports are running: retry in a few seconds."},
	"partner keys are not loaded yet":                      {"Les clés partenaires ne sont pas encore chargées : réessayez dans quelques secondes.", "Partner keys are not loaded yet: retry in a few seconds."},
	"no offer has this id":                                 {"Aucune offre ne porte cet identifiant.", "No offer has this id."},
	msgTooLong:                                             {"La recherche a pris trop de temps : essayez avec moins de mots.", "The search took too long: try fewer words."},
	"nothing at this address":                              {"Rien à cette adresse.", "Nothing at this address."},
}

// msgTooLong is the detail of a search over its time budget (workError).
const msgTooLong = "the search took too long: try fewer words"

// problemTitles override a code's title for one detail: a search over its
// budget is EUNAVAILABLE like a starting service, but telling the pupil
// "the service is starting" would be wrong.
var problemTitles = map[string][2]string{
	msgTooLong: {"Recherche trop longue", "Search took too long"},
}

// problemText returns the title and detail of e in l.
func problemText(e *stageindex.Error, l lang) (title, detail string) {
	t, ok := problemTexts[e.Code]
	if !ok {
		t = problemTexts[stageindex.EINTERNAL]
	}
	title, detail = t[l][0], t[l][1]
	msg := strings.TrimSpace(e.Message)
	if d, ok := problemDetails[msg]; ok {
		detail = d[l]
	}
	if t, ok := problemTitles[msg]; ok {
		title = t[l]
	}
	return title, detail
}
