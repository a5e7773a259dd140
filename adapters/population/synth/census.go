package synth

// ProvincePopulation returns the population, in thousands (2019 census,
// rounded), of the province whose 3-digit code (vn.Province.Code) is
// given, or 0 for an unknown code. Load profiles use it to spread
// consumers over the provinces' platforms.
func ProvincePopulation(code string) int { return provincePopulation[code] }
