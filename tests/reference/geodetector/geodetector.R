# Reference values for spatialflow.measures.geodetector from the R package `geodetector`
# (Xu & Wang; CRAN 1.0-5, installed from the CRAN mirror snapshot github:cran/geodetector).
# Run: R_LIBS=/tmp/Rlib Rscript geodetector.R > geodetector_ref.txt
# Prints `KV <detector> <quantity> <name> <value>` lines (17 significant digits) read by the tests.
suppressPackageStartupMessages(library(geodetector))
data(CollectData)
write.csv(CollectData, "collectdata.csv", row.names = FALSE)
kv <- function(detector, quantity, name, value)
  cat("KV", detector, quantity, name, sprintf("%.17g", value), "\n")
cat("R", R.version.string, "| geodetector", as.character(packageVersion("geodetector")), "\n")
cat("N =", nrow(CollectData), "\n")
xs <- c("soiltype", "watershed", "elevation")

# Factor detector: q and p (noncentral F, lambda with var(), the N-1 variance)
fd <- factor_detector("incidence", xs, CollectData)
print(fd)
for (k in seq_along(xs)) {
  kv("factor", "q", xs[k], fd[[k]][1, 1])
  kv("factor", "p", xs[k], fd[[k]][1, 2])
}

# The same p-value with the noncentrality parameter of Wang, Zhang & Fu (2016) written with
# the population variance sigma^2 = SST/N (as in q's definition): lambda_pop = lambda * N/(N-1).
# Computed here with R's pf(), independently of scipy's ncf.
y <- CollectData$incidence; N <- length(y)
for (x in xs) {
  h <- CollectData[[x]]
  means <- tapply(y, h, mean); nh <- tapply(y, h, length); L <- length(nh)
  q <- 1 - sum(tapply(y, h, function(v) sum((v - mean(v))^2))) / sum((y - mean(y))^2)
  lam <- (sum(means^2) - sum(sqrt(nh) * means)^2 / N) / (sum((y - mean(y))^2) / N)
  Fv <- (N - L) * q / ((L - 1) * (1 - q))
  kv("factor_population", "lambda", x, lam)
  kv("factor_population", "F", x, Fv)
  kv("factor_population", "p", x, pf(Fv, L - 1, N - L, ncp = lam, lower.tail = FALSE))
}

# Interaction detector
id <- interaction_detector("incidence", xs, CollectData)
print(id)
# The package returns a character matrix (15 digits, no relationship type); the interaction
# q is the factor q of the crossed strata X1_X2, so take it at full precision from there.
for (i in seq_along(xs)) for (j in seq_along(xs)) if (i < j) {
  cross <- CollectData
  cross$crossed <- paste(cross[[xs[i]]], cross[[xs[j]]], sep = "_")
  f <- factor_detector("incidence", "crossed", cross)[[1]]
  kv("interaction", "q", paste0(xs[i], ":", xs[j]), f[1, 1])
  kv("interaction", "p", paste0(xs[i], ":", xs[j]), f[1, 2])
}

# Risk detector: stratum means and the Welch t test at 5% (geodetector rounds the df)
rd <- risk_detector("incidence", xs, CollectData)
print(rd)
for (k in seq_along(xs)) {
  means <- rd[[k]][[1]]
  for (r in seq_len(nrow(means))) kv("risk", "mean", paste0(xs[k], "=", means[r, 1]), means[r, 2])
  sig <- rd[[k]][[2]]
  for (a in rownames(sig)) for (b in colnames(sig)) if (a < b)
    cat("KVS risk significant", paste0(xs[k], "=", a, "|", b), sig[a, b], "\n")
}
# Welch t statistics themselves (stats::t.test, unrounded df), for the t and p columns
for (x in xs) {
  h <- CollectData[[x]]; lev <- sort(unique(h))
  for (i in seq_along(lev)) for (j in seq_along(lev)) if (i < j) {
    a <- y[h == lev[i]]; b <- y[h == lev[j]]
    if (length(a) > 1 && length(b) > 1) {
      tt <- t.test(a, b)
      kv("risk_welch", "t", paste0(x, "=", lev[i], "|", lev[j]), tt$statistic)
      kv("risk_welch", "df", paste0(x, "=", lev[i], "|", lev[j]), tt$parameter)
      kv("risk_welch", "p", paste0(x, "=", lev[i], "|", lev[j]), tt$p.value)
    }
  }
}

# Ecological detector (as the package computes it; see PROVENANCE.md on its statistic)
ed <- ecological_detector("incidence", xs, CollectData)
print(ed)

# The hand-computed table of the tests (y = 1,2,3,7,8,9; zones a,a,a,b,b,b): q = 27/29,
# F = 54, lambda = 54/29 (population variance) or 45/29 (sample variance). p-values by
# R's pf() and by the package itself.
tiny <- data.frame(y = c(1, 2, 3, 7, 8, 9), zone = c(1, 1, 1, 2, 2, 2))
kv("tiny", "p_population", "zone", pf(54, 1, 4, ncp = 54 / 29, lower.tail = FALSE))
kv("tiny", "p_sample", "zone", pf(54, 1, 4, ncp = 45 / 29, lower.tail = FALSE))
ft <- factor_detector("y", "zone", tiny)[[1]]
kv("tiny", "q_package", "zone", ft[1, 1])
kv("tiny", "p_package", "zone", ft[1, 2])
