# gdverse's Geodetector functions (R/geodetector.R and R/utils.R of the snapshot
# github:SpatLyu/gdverse, commit 2d97584, version 1.7) sourced as they are (the `gdverse::`
# prefixes dropped): the package itself cannot be installed here (patchwork, scatterpie and
# sdsfun are not packaged for Debian). Its factor detector uses the population variance in
# the noncentrality parameter, and its ecological detector F = (1 - q1)/(1 - q2).
# Run: GDVERSE=/path/to/gdverse Rscript gdverse.R > gdverse_ref.txt
suppressPackageStartupMessages({library(dplyr); library(tibble); library(purrr)})
root <- Sys.getenv("GDVERSE")
src <- function(f) {
  code <- gsub("gdverse::", "", readLines(file.path(root, "R", f)))
  eval(parse(text = code), envir = globalenv())
}
src("utils.R"); src("geodetector.R")
cat("R", R.version.string, "| gdverse 1.7 sources, commit 2d97584 |",
    "dplyr", as.character(packageVersion("dplyr")), "\n")
kv <- function(detector, quantity, name, value)
  cat("KV", detector, quantity, name, sprintf("%.17g", value), "\n")
d <- read.csv("collectdata.csv")
xs <- c("soiltype", "watershed", "elevation")
for (x in xs) {
  f <- factor_detector(d$incidence, d[[x]])
  kv("gdverse_factor", "q", x, f[["Q-statistic"]])
  kv("gdverse_factor", "p", x, f[["P-value"]])
}
for (i in 1:2) for (j in (i + 1):3) {
  a <- xs[i]; b <- xs[j]
  e <- ecological_detector(d$incidence, d[[a]], d[[b]])
  kv("gdverse_ecological", "F", paste0(a, ":", b), e[["F-statistic"]])
  kv("gdverse_ecological", "p_upper", paste0(a, ":", b), e[["P-value"]])
  it <- interaction_detector(d$incidence, d[[a]], d[[b]])
  kv("gdverse_interaction", "q", paste0(a, ":", b),
     it[["Variable1 and Variable2 interact Q-statistics"]])
  cat("KVS gdverse_interaction type", paste0(a, ":", b), gsub(" ", "_", it[["Interaction"]]), "\n")
}
