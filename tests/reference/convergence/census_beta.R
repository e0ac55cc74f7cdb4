# Spatial beta-convergence of the urbanisation rate, 116 comparable Guangdong units,
# 2010-2020 (census): growth per year on the log initial rate, SAR / SEM / SDM by ML.
# Inputs from export_census.py. Run here: Rscript census_beta.R > census_beta_R.txt
suppressPackageStartupMessages({library(spdep); library(spatialreg)})
d <- read.csv("census_urban_growth.csv", colClasses = c(unit = "character"))
e <- read.csv("census_queen_w.csv", colClasses = c(focal = "character", neighbor = "character"))
ids <- d$unit
W <- matrix(0, length(ids), length(ids), dimnames = list(ids, ids))
W[cbind(match(e$focal, ids), match(e$neighbor, ids))] <- e$weight
lw <- mat2listw(W, style = "M")   # the matrix as given (already row-standardised)
cat("R:", R.version.string, "spatialreg", as.character(packageVersion("spatialreg")),
    "spdep", as.character(packageVersion("spdep")), "\n")
out <- function(tag, m, par) {
  cf <- c(coef(m), par)
  cat(tag, paste(names(cf), sprintf("%.12e", cf)), "\n")
}
sar <- lagsarlm(growth ~ log_initial, data = d, listw = lw, method = "eigen")
out("SAR", sar, c(rho = sar$rho))
sem <- errorsarlm(growth ~ log_initial, data = d, listw = lw, method = "eigen")
out("SEM", sem, c(lambda = sem$lambda))
sdm <- lagsarlm(growth ~ log_initial, data = d, listw = lw, method = "eigen", Durbin = TRUE)
out("SDM", sdm, c(rho = sdm$rho))
