// Package topology describes who is connected to the NDXP hub: the
// agencies, what kind of node each is, which simulator implements it, the
// services it provides and the services it calls. A Topology is plain data:
// the built-in shapes of the real platform in 2021 and 2023 (Builtin), or a
// user's YAML or JSON file (Load, Parse), checked by Validate and written
// back by Marshal so that users can start from a built-in one.
//
// # Nodes, not agencies
//
// The reports count "agencies" and "information systems" differently from
// how the simulator runs them. In August 2021 NDXP connected "220
// information systems of 90 agencies, of which 85 LGSPs, 5 national
// databases and 9 national information systems". The 90 agencies are the
// 85 ministries, ministry-level agencies and provinces that run an LGSP plus
// the owners of connected systems outside them, such as Vietnam Social
// Security; the databases and national systems belong to those agencies.
// The topology models every connected system the hub routes to as its own
// node with its own agency code:
//
//   - an LGSP node per ministry (000.00.00.Gxx, see Ministries) and per
//     province (000.00.00.Hxx, from vn.Provinces);
//   - a node per national database and national information system, coded
//     as a level-2 unit of its owner: 000.00.NN.Gxx, NN numbering the
//     owner's connected systems from 01. The population database of the
//     Ministry of Public Security (G01) is thus 000.00.01.G01, distinct
//     from that ministry's LGSP 000.00.00.G01.
//
// So the 2021 shape has 85 LGSP + 5 database + 9 system nodes = 99 nodes,
// and the 2023 shape (9 databases, 13 systems) has 85 + 9 + 13 = 107. The
// agency numbers after the letter are this simulator's own assignment and
// may differ from the official list of Decision 20/2020/QĐ-TTg.
//
// # Files
//
// A topology file is YAML or JSON with the field names of the protobuf
// registry (snake_case); kinds are written "ministry-lgsp",
// "province-lgsp", "national-database", "national-system" or "other", and
// each consumed service is "provider-code/service-code":
//
//	name: small
//	agencies:
//	  - code: 000.00.01.G01
//	    name: Cơ sở dữ liệu quốc gia về dân cư
//	    kind: national-database
//	    simulator: population
//	    provides:
//	      - code: citizen-lookup
//	        request_type: ndxp.population.v1.LookupCitizenRequest
//	        response_type: ndxp.population.v1.LookupCitizenResponse
//	        personal_data: true
//	  - code: 000.00.00.H29
//	    name: Hồ Chí Minh
//	    kind: province-lgsp
//	    simulator: lgsp
//	    consumes:
//	      - 000.00.01.G01/citizen-lookup
//
// Unknown fields are rejected. Topologies are not safe for concurrent
// mutation; treat a loaded one as read-only once nodes start.
package topology
