## SAC (SARAR) and GNS (SAC with WX, "sacmixed" / Durbin=TRUE) reference for spatialflow.
## Run from this directory:  Rscript sac.R > sac_ref.txt 2>&1
## Data and neighbours are the Columbus case kept in ../columbus (read back from the CSV and
## the GAL file, so that R and spatialflow fit exactly the same numbers).
##
## Machine-readable lines start with "KV" and have the form
##   KV <model> <quantity> <name> <value>      (value with 15 significant digits)
## Everything else is R's own printout, kept for a human reader.
suppressPackageStartupMessages({library(spdep); library(spatialreg)})
options(digits = 12, width = 120)
kv <- function(model, quantity, x) {
  nm <- names(x); if (is.null(nm)) nm <- rep("-", length(x))
  for (i in seq_along(x)) cat(sprintf("KV %s %s %s %.15g\n", model, quantity,
                                      gsub(" ", "_", nm[i]), x[[i]]))
}
kvmat <- function(model, quantity, M) {
  for (i in rownames(M)) for (j in colnames(M))
    cat(sprintf("KV %s %s %s|%s %.15g\n", model, quantity, i, j, M[i, j]))
}
cat("R", R.version.string, " spatialreg", format(packageVersion("spatialreg")),
    " spdep", format(packageVersion("spdep")), "\n")
df <- read.csv("../columbus/columbus_oldcol.csv")
nb <- read.gal("../columbus/columbus_oldcol.gal", region.id = df$id)
lw <- nb2listw(nb, style = "W")
## R's default optimiser settings (nlminb, rel.tol 1e-10): tighter tolerances end in
## "singular convergence" warnings because the concentrated likelihood is flat to rounding
## near its maximum, and leave the estimates unchanged to 7 significant digits.
set.seed(20261129)
pr <- function(name, m) {
  s <- summary(m)
  cat("\n##", name, " method =", m$method, " type =", m$type, "\n")
  print(s)
  kv(name, "coef", coef(m))
  kv(name, "se", c(s$Coef[, 2], rho = m$rho.se, lambda = m$lambda.se))
  kv(name, "logLik", c(logLik = as.numeric(logLik(m))))
  kv(name, "s2", c(s2 = m$s2))
  kv(name, "AIC", c(AIC = AIC(m)))
  kv(name, "interval1", m$interval1)
  cat("ase (analytic asymptotic covariance used):", m$ase, "\n")
  if (is.matrix(m$resvar)) kvmat(name, "resvar", m$resvar)
  kv(name, "opt", c(convergence = m$opt$convergence, objective = m$opt$objective))
  cat("starting points tried (mxs):\n"); print(m$mxs)
}
sac <- sacsarlm(CRIME ~ INC + HOVAL, data = df, listw = lw, method = "eigen")
gns <- sacsarlm(CRIME ~ INC + HOVAL, data = df, listw = lw, method = "eigen", Durbin = TRUE)
pr("SAC", sac)
pr("GNS", gns)

## exact impacts (listw): S_k = (I - rho W)^{-1} (beta_k I + theta_k W)
for (name in c("SAC", "GNS")) {
  m <- if (name == "SAC") sac else gns
  imp <- impacts(m, listw = lw, R = 2000)
  print(summary(imp, zstats = TRUE, short = TRUE))
  kv(name, "direct", setNames(imp$res$direct, attr(imp, "bnames")))
  kv(name, "indirect", setNames(imp$res$indirect, attr(imp, "bnames")))
  kv(name, "total", setNames(imp$res$total, attr(imp, "bnames")))
  ## simulated (2,000 draws from R's RNG): standard errors for a loose cross-check only
  sm <- summary(imp, zstats = TRUE, short = TRUE)
  kv(name, "direct_se_sim", setNames(sm$semat[, 1], attr(imp, "bnames")))
  kv(name, "indirect_se_sim", setNames(sm$semat[, 2], attr(imp, "bnames")))
  kv(name, "total_se_sim", setNames(sm$semat[, 3], attr(imp, "bnames")))
}

## nested models for the LR tests GNS -> SDM, SDEM, SAC
sdm <- lagsarlm(CRIME ~ INC + HOVAL, data = df, listw = lw, method = "eigen", Durbin = TRUE)
sdem <- errorsarlm(CRIME ~ INC + HOVAL, data = df, listw = lw, method = "eigen", Durbin = TRUE)
kv("LR", "GNS_vs", c(SDM = 2 * (logLik(gns) - logLik(sdm)),
                     SDEM = 2 * (logLik(gns) - logLik(sdem)),
                     SAC = 2 * (logLik(gns) - logLik(sac))))
print(LR.Sarlm(gns, sac))

## the concentrated log-likelihood surface at a few (rho, lambda) points, to check the
## likelihood function itself independently of the optimiser
sac_p <- sacsarlm(CRIME ~ INC + HOVAL, data = df, listw = lw, method = "eigen",
                  llprof = cbind(c(-0.5, 0, 0.3, 0.6, 0.2), c(0.4, 0, -0.3, 0.1, 0.5)))
kv("SAC", "llprof", setNames(sac_p$llprof$ll, c("p1", "p2", "p3", "p4", "p5")))
