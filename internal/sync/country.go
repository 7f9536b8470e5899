package sync

import "strings"

// countryNames maps ISO 3166-1 alpha-2 codes to the country names of
// Salesforce's standard country/territory picklist (Setup > State and
// Country/Territory Picklists; help article "Standard Countries and
// Territories for Address Picklists"), which follows the ISO 3166 English
// short names in their older comma forms ("Korea, Republic of") without most
// diacritics ("Aland Islands", "Reunion", "Cote d'Ivoire").
//
// US territories that Salesforce lists as states of the United States (AS,
// GU, MP, PR, UM, VI) map to "United States"; the state itself is not a
// country picklist value.
var countryNames = map[string]string{
	"AD": "Andorra", "AE": "United Arab Emirates", "AF": "Afghanistan", "AG": "Antigua and Barbuda",
	"AI": "Anguilla", "AL": "Albania", "AM": "Armenia", "AO": "Angola", "AQ": "Antarctica",
	"AR": "Argentina", "AS": "United States", "AT": "Austria", "AU": "Australia", "AW": "Aruba",
	"AX": "Aland Islands", "AZ": "Azerbaijan", "BA": "Bosnia and Herzegovina", "BB": "Barbados",
	"BD": "Bangladesh", "BE": "Belgium", "BF": "Burkina Faso", "BG": "Bulgaria", "BH": "Bahrain",
	"BI": "Burundi", "BJ": "Benin", "BL": "Saint Barthélemy", "BM": "Bermuda", "BN": "Brunei Darussalam",
	"BO": "Bolivia, Plurinational State of", "BQ": "Bonaire, Sint Eustatius and Saba", "BR": "Brazil",
	"BS": "Bahamas", "BT": "Bhutan", "BV": "Bouvet Island", "BW": "Botswana", "BY": "Belarus",
	"BZ": "Belize", "CA": "Canada", "CC": "Cocos (Keeling) Islands", "CD": "Congo, the Democratic Republic of the",
	"CF": "Central African Republic", "CG": "Congo", "CH": "Switzerland", "CI": "Cote d'Ivoire",
	"CK": "Cook Islands", "CL": "Chile", "CM": "Cameroon", "CN": "China", "CO": "Colombia",
	"CR": "Costa Rica", "CU": "Cuba", "CV": "Cape Verde", "CW": "Curaçao", "CX": "Christmas Island",
	"CY": "Cyprus", "CZ": "Czechia", "DE": "Germany", "DJ": "Djibouti", "DK": "Denmark",
	"DM": "Dominica", "DO": "Dominican Republic", "DZ": "Algeria", "EC": "Ecuador", "EE": "Estonia",
	"EG": "Egypt", "EH": "Western Sahara", "ER": "Eritrea", "ES": "Spain", "ET": "Ethiopia",
	"FI": "Finland", "FJ": "Fiji", "FK": "Falkland Islands (Malvinas)", "FM": "Micronesia, Federated States of",
	"FO": "Faroe Islands", "FR": "France", "GA": "Gabon", "GB": "United Kingdom", "GD": "Grenada",
	"GE": "Georgia", "GF": "French Guiana", "GG": "Guernsey", "GH": "Ghana", "GI": "Gibraltar",
	"GL": "Greenland", "GM": "Gambia", "GN": "Guinea", "GP": "Guadeloupe", "GQ": "Equatorial Guinea",
	"GR": "Greece", "GS": "South Georgia and the South Sandwich Islands", "GT": "Guatemala",
	"GU": "United States", "GW": "Guinea-Bissau", "GY": "Guyana", "HK": "Hong Kong",
	"HM": "Heard Island and McDonald Islands", "HN": "Honduras", "HR": "Croatia", "HT": "Haiti",
	"HU": "Hungary", "ID": "Indonesia", "IE": "Ireland", "IL": "Israel", "IM": "Isle of Man",
	"IN": "India", "IO": "British Indian Ocean Territory", "IQ": "Iraq", "IR": "Iran, Islamic Republic of",
	"IS": "Iceland", "IT": "Italy", "JE": "Jersey", "JM": "Jamaica", "JO": "Jordan", "JP": "Japan",
	"KE": "Kenya", "KG": "Kyrgyzstan", "KH": "Cambodia", "KI": "Kiribati", "KM": "Comoros",
	"KN": "Saint Kitts and Nevis", "KP": "Korea, Democratic People's Republic of", "KR": "Korea, Republic of",
	"KW": "Kuwait", "KY": "Cayman Islands", "KZ": "Kazakhstan", "LA": "Lao People's Democratic Republic",
	"LB": "Lebanon", "LC": "Saint Lucia", "LI": "Liechtenstein", "LK": "Sri Lanka", "LR": "Liberia",
	"LS": "Lesotho", "LT": "Lithuania", "LU": "Luxembourg", "LV": "Latvia", "LY": "Libya",
	"MA": "Morocco", "MC": "Monaco", "MD": "Moldova, Republic of", "ME": "Montenegro",
	"MF": "Saint Martin (French part)", "MG": "Madagascar", "MH": "Marshall Islands", "MK": "North Macedonia",
	"ML": "Mali", "MM": "Myanmar", "MN": "Mongolia", "MO": "Macao", "MP": "United States",
	"MQ": "Martinique", "MR": "Mauritania", "MS": "Montserrat", "MT": "Malta", "MU": "Mauritius",
	"MV": "Maldives", "MW": "Malawi", "MX": "Mexico", "MY": "Malaysia", "MZ": "Mozambique",
	"NA": "Namibia", "NC": "New Caledonia", "NE": "Niger", "NF": "Norfolk Island", "NG": "Nigeria",
	"NI": "Nicaragua", "NL": "Netherlands", "NO": "Norway", "NP": "Nepal", "NR": "Nauru", "NU": "Niue",
	"NZ": "New Zealand", "OM": "Oman", "PA": "Panama", "PE": "Peru", "PF": "French Polynesia",
	"PG": "Papua New Guinea", "PH": "Philippines", "PK": "Pakistan", "PL": "Poland",
	"PM": "Saint Pierre and Miquelon", "PN": "Pitcairn", "PR": "United States", "PS": "Palestine",
	"PT": "Portugal", "PW": "Palau", "PY": "Paraguay", "QA": "Qatar", "RE": "Reunion", "RO": "Romania",
	"RS": "Serbia", "RU": "Russian Federation", "RW": "Rwanda", "SA": "Saudi Arabia", "SB": "Solomon Islands",
	"SC": "Seychelles", "SD": "Sudan", "SE": "Sweden", "SG": "Singapore",
	"SH": "Saint Helena, Ascension and Tristan da Cunha", "SI": "Slovenia", "SJ": "Svalbard and Jan Mayen",
	"SK": "Slovakia", "SL": "Sierra Leone", "SM": "San Marino", "SN": "Senegal", "SO": "Somalia",
	"SR": "Suriname", "SS": "South Sudan", "ST": "Sao Tome and Principe", "SV": "El Salvador",
	"SX": "Sint Maarten (Dutch part)", "SY": "Syrian Arab Republic", "SZ": "Eswatini",
	"TC": "Turks and Caicos Islands", "TD": "Chad", "TF": "French Southern Territories", "TG": "Togo",
	"TH": "Thailand", "TJ": "Tajikistan", "TK": "Tokelau", "TL": "Timor-Leste", "TM": "Turkmenistan",
	"TN": "Tunisia", "TO": "Tonga", "TR": "Turkey", "TT": "Trinidad and Tobago", "TV": "Tuvalu",
	"TW": "Taiwan", "TZ": "Tanzania, United Republic of", "UA": "Ukraine", "UG": "Uganda",
	"UM": "United States", "US": "United States", "UY": "Uruguay", "UZ": "Uzbekistan",
	"VA": "Holy See (Vatican City State)", "VC": "Saint Vincent and the Grenadines",
	"VE": "Venezuela, Bolivarian Republic of", "VG": "Virgin Islands, British", "VI": "United States",
	"VN": "Vietnam", "VU": "Vanuatu", "WF": "Wallis and Futuna", "WS": "Samoa", "YE": "Yemen",
	"YT": "Mayotte", "ZA": "South Africa", "ZM": "Zambia", "ZW": "Zimbabwe",
	// Codes in common use outside ISO 3166-1: Kosovo (user-assigned) and
	// the United Kingdom's EU code.
	"XK": "Kosovo", "UK": "United Kingdom",
}

// continentNames maps the continent codes Intercom's location carries to
// names.
var continentNames = map[string]string{
	"AF": "Africa", "AN": "Antarctica", "AS": "Asia", "EU": "Europe",
	"NA": "North America", "OC": "Oceania", "SA": "South America",
}

// CountryName expands a country code from an Intercom location
// (location.country_code, ISO 3166-1 alpha-2, any case) to the name
// Salesforce's country picklist accepts (F3.7).
func CountryName(code string) (string, bool) {
	n, ok := countryNames[strings.ToUpper(strings.TrimSpace(code))]
	return n, ok
}

// ContinentName expands a continent code (location.continent_code) to its
// name (F3.7).
func ContinentName(code string) (string, bool) {
	n, ok := continentNames[strings.ToUpper(strings.TrimSpace(code))]
	return n, ok
}

// The Intercom location attributes that carry codes.
const (
	AttrCountryCode   = "location.country_code"
	AttrContinentCode = "location.continent_code"
)

// ExpandLocationCodes returns a copy of Intercom values with
// location.country_code and location.continent_code replaced by the full
// names, so that mappings of those attributes write names Salesforce's
// picklists accept (F3.7). Unknown codes are left as they are; writing them
// to a restricted picklist then fails with the field and value named.
func ExpandLocationCodes(values map[string]any) map[string]any {
	out := make(map[string]any, len(values))
	for k, v := range values {
		out[k] = v
	}
	expand := func(key string, lookup func(string) (string, bool)) {
		if s, ok := out[key].(string); ok {
			if n, ok := lookup(s); ok {
				out[key] = n
			}
		}
	}
	expand(AttrCountryCode, CountryName)
	expand(AttrContinentCode, ContinentName)
	return out
}

// FieldPair is a default mapping of an Intercom attribute to a Salesforce
// Lead field.
type FieldPair struct {
	Intercom   string
	Salesforce string
}

// QualificationDefaults are the Lead fields the UTM parameters, the referrer
// and the location codes map to by default (F3.7), all to_salesforce.
// Salesforce has no standard UTM fields, so these are the custom fields
// admins conventionally create; settings validation reports any the org
// lacks.
func QualificationDefaults() []FieldPair {
	return []FieldPair{
		{"utm_source", "UTM_Source__c"},
		{"utm_medium", "UTM_Medium__c"},
		{"utm_campaign", "UTM_Campaign__c"},
		{"utm_term", "UTM_Term__c"},
		{"utm_content", "UTM_Content__c"},
		{"referrer", "Referrer__c"},
		{AttrCountryCode, "Country"},
		{AttrContinentCode, "Continent__c"},
	}
}
