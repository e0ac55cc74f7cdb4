# Reference values for spatialflow.measures.log_t_test / convergence_clubs.
# Runs the FQSB path of the R package ConvergenceClubs (Sichera & Pizzuto 2019, the
# implementation of Phillips & Sul 2007, 2009), version 2.2.5, GitHub rhobis/ConvergenceClubs
# commit 4a79cb2, on its own data set filteredGDP (log per-capita GDP of 152 countries,
# 1970-2003, HP-filtered; Phillips & Sul 2009), exported here to filteredGDP.csv.
#
# Usage: Rscript phillips_sul.R <path to a ConvergenceClubs source tree> > phillips_sul_R.txt
# The package's R/ files are sourced (not installed): the FQSB path needs base R only.
args <- commandArgs(trailingOnly = TRUE)
src <- args[1]
for (f in c("computeH.R", "estimateMod.R", "ps_andrews_hac.R", "coreG.R", "club.R",
            "findClubs.R")) source(file.path(src, "R", f))
X <- read.csv("filteredGDP.csv", stringsAsFactors = FALSE)
cat("R:", R.version.string, "\n")
options(digits = 17)
# 1. log t test on the whole sample
H <- computeH(X[, 2:35])
m <- estimateMod(H, time_trim = 1/3, HACmethod = "FQSB")
cat("ALL", sprintf("%.15e", m), "\n")
# 2. log t test on the first 20 countries (alphabetical)
m <- estimateMod(computeH(X[1:20, 2:35]), time_trim = 1/3, HACmethod = "FQSB")
cat("FIRST20", sprintf("%.15e", m), "\n")
# 3. the clustering, c* = 0 fixed, ordered by the last year (1 / 3 of the years trimmed)
for (method in c("fixed", "incremental")) {
  cl <- findClubs(X, dataCols = 2:35, unit_names = 1, refCol = 35, time_trim = 1/3,
                  HACmethod = "FQSB", cstar = 0, cstar_method = method,
                  cstar_increment = 0.1)
  for (nm in names(cl)) {
    if (nm == "divergent") {
      cat("CLUB", method, nm, "NA", "NA", "NA", paste(X[cl[[nm]]$id, 1], collapse = "|"), "\n")
    } else {
      cat("CLUB", method, nm, sprintf("%.15e", cl[[nm]]$model[c("beta", "std.err", "tvalue")]),
          paste(X[cl[[nm]]$id, 1], collapse = "|"), "\n")
    }
  }
}
