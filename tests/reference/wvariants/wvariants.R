## Reference for spatialflow's cross-sectional ML estimators and effects under weights other
## than row-standardised contiguity: binary contiguity ("B"), k-nearest neighbours (asymmetric),
## contiguity with an island (zero.policy = TRUE), inverse distance (all pairs), and 5 nearest
## neighbours (complex eigenvalues with real parts below the smallest real eigenvalue).
## Run from this directory:  Rscript wvariants.R > wvariants_ref.txt 2>&1
## Writes wvariants_data.csv (spdep's Columbus oldcol data, ids 1..49) and one
## wvariants_<case>_weights.csv per case (i, j, weight: the listw's weights as R used them),
## all with 17 significant digits so every double round-trips; then fits on the files as read
## back (the data by read.csv; the weights file is checked to equal the listw bit for bit).
##
## Machine-readable lines start with "KV" and have the form
##   KV <case>_<model> <quantity> <name> <value>      (value with 12 significant digits)
## Everything else is R's own printout, kept for a human reader.
suppressPackageStartupMessages({library(spdep); library(spatialreg); library(Matrix)})
options(digits = 12, width = 120)
kv <- function(model, quantity, x) {
  nm <- names(x); if (is.null(nm)) nm <- rep("-", length(x))
  for (i in seq_along(x)) cat(sprintf("KV %s %s %s %.12g\n", model, quantity, nm[i], x[[i]]))
}

## ---- data ----------------------------------------------------------------------------------
data(oldcol, package = "spdep")
n <- nrow(COL.OLD)
stopifnot(identical(attr(COL.nb, "region.id"), row.names(COL.OLD)))
out <- data.frame(id = seq_len(n), CRIME = COL.OLD$CRIME, INC = COL.OLD$INC,
                  HOVAL = COL.OLD$HOVAL, X = COL.OLD$X, Y = COL.OLD$Y)
out[-1] <- lapply(out[-1], function(v) sprintf("%.17g", v))
write.csv(out, "wvariants_data.csv", row.names = FALSE, quote = FALSE)
df <- read.csv("wvariants_data.csv")
stopifnot(identical(df$id, seq_len(n)), all(df$CRIME == COL.OLD$CRIME),
          all(df$X == COL.OLD$X))
coords <- cbind(df$X, df$Y)

## ---- the four weights ----------------------------------------------------------------------
## a. binary contiguity, not row-standardised
lw_B <- nb2listw(COL.nb, style = "B")
## b. 4 nearest neighbours on the X, Y coordinates (asymmetric), row-standardised
nb_knn <- knn2nb(knearneigh(coords, k = 4))
cat("knn4 symmetric:", is.symmetric.nb(nb_knn, verbose = FALSE, force = TRUE), "\n")
lw_knn <- nb2listw(nb_knn, style = "W")
## b'. 5 nearest neighbours: here some complex eigenvalues have real parts below the smallest
## real eigenvalue, so "1 / min over real eigenvalues" (R) and "1 / min real part" differ.
lw_knn5 <- nb2listw(knn2nb(knearneigh(coords, k = 5)), style = "W")
## c. contiguity with unit 1's links removed on both sides (an island), row-standardised
island <- 1L
nb_isl <- COL.nb
for (j in nb_isl[[island]]) nb_isl[[j]] <- setdiff(nb_isl[[j]], island)
nb_isl[[island]] <- 0L
stopifnot(is.symmetric.nb(nb_isl, verbose = FALSE), all(card(nb_isl)[-island] > 0))
lw_isl <- nb2listw(nb_isl, style = "W", zero.policy = TRUE)
## d. inverse distance over all pairs (a band wider than the largest distance), row-standardised
dmax <- max(dist(coords))
nb_all <- dnearneigh(coords, 0, 1.01 * dmax)
stopifnot(all(card(nb_all) == n - 1))
lw_idw <- nb2listw(nb_all, glist = lapply(nbdists(nb_all, coords), function(d) 1 / d),
                   style = "W")

## Write each listw as (i, j, weight) triplets (17 significant digits) and check that the file,
## read back, is bit-identical to the listw R fits with: R and Python use the same weights.
write_triplets <- function(case, lw) {
  W <- as(as_dgRMatrix_listw(lw), "TsparseMatrix")
  tr <- data.frame(i = W@i + 1L, j = W@j + 1L, weight = W@x)
  tr <- tr[order(tr$i, tr$j), ]
  f <- sprintf("wvariants_%s_weights.csv", case)
  write.csv(transform(tr, weight = sprintf("%.17g", weight)), f, row.names = FALSE,
            quote = FALSE)
  back <- read.csv(f)
  M <- matrix(0, n, n); M[cbind(back$i, back$j)] <- back$weight
  stopifnot(all(M == listw2mat(lw)))
  cat(sprintf("%s: style %s, %d links, row sums in [%.17g, %.17g]\n", case, lw$style,
              nrow(back), min(rowSums(M)), max(rowSums(M))))
  lw
}
lw <- list(B = write_triplets("B", lw_B),
           knn4 = write_triplets("knn4", lw_knn),
           island = write_triplets("island", lw_isl),
           idw = write_triplets("idw", lw_idw),
           knn5 = write_triplets("knn5", lw_knn5))

## ---- fits ------------------------------------------------------------------------------------
pr <- function(name, m) {
  s <- summary(m)
  cat("\n##", name, " method =", m$method, "\n")
  print(s)
  kv(name, "coef", coef(m))
  kv(name, "se", s$Coef[, 2])
  if (!is.null(m$rho)) { kv(name, "rho.se", c(rho = m$rho.se)) }
  else { kv(name, "lambda.se", c(lambda = m$lambda.se)) }
  kv(name, "logLik", c(logLik = as.numeric(logLik(m))))
  kv(name, "s2", c(s2 = m$s2))
  kv(name, "interval", c(lower = m$interval[1], upper = m$interval[2]))
  cat("ase (analytic asymptotic covariance used):", m$ase, "\n")
}
eig_info <- function(case, listw) {
  e <- eigenw(listw)
  cat("\n##", case, "eigenvalues: complex:", is.complex(e), "\n")
  if (is.complex(e)) {
    re <- Re(e[Im(e) == 0])
    cat("  non-real:", sum(Im(e) != 0), " real-part range of all:", range(Re(e)), "\n")
  } else re <- e
  kv(case, "eigen_real_range", c(min = min(re), max = max(re)))
  kv(case, "eigen_allre_range", c(min = min(Re(e)), max = max(Re(e))))
}
imp_exact <- function(name, m, listw) {
  imp <- impacts(m, listw = listw)
  cat("\n##", name, "impacts (exact, listw)\n"); print(imp)
  for (eff in c("direct", "indirect", "total"))
    kv(paste0(name, "_impacts"), eff, setNames(imp[[eff]], attr(imp, "bnames")))
  ## The definition, from the dense S_k = (I - rho W)^{-1} (beta_k I + theta_k W):
  ## direct = tr(S_k) / n, total = 1' S_k 1 / n. spatialreg 1.2.6's impacts(listw = ) does not
  ## do this: intImpacts() takes eigenvalues and lagImpacts_e()/mixedImpacts_e() set
  ## total = (beta + theta) / (1 - rho), which holds only when every row of W sums to one
  ## (not for style "B", nor with an island). Its direct effects are exact.
  S <- invIrW(listw, m$rho)
  Wd <- listw2mat(listw)
  b <- coef(m)
  dense <- sapply(attr(imp, "bnames"), function(v) {
    th <- if (paste0("lag.", v) %in% names(b)) b[[paste0("lag.", v)]] else 0
    Sk <- S %*% (b[[v]] * diag(n) + th * Wd)
    c(direct = sum(diag(Sk)) / n, total = sum(Sk) / n)
  })
  kv(paste0(name, "_dense"), "direct", dense["direct", ])
  kv(paste0(name, "_dense"), "indirect", dense["total", ] - dense["direct", ])
  kv(paste0(name, "_dense"), "total", dense["total", ])
}
F <- CRIME ~ INC + HOVAL
zp <- function(case) case == "island"
fits <- list()
for (case in names(lw)) {
  eig_info(case, lw[[case]])
  z <- zp(case)
  fits[[paste0(case, "_SAR")]] <- lagsarlm(F, data = df, listw = lw[[case]], method = "eigen",
                                          zero.policy = z)
  if (case == "knn5") next
  fits[[paste0(case, "_SEM")]] <- errorsarlm(F, data = df, listw = lw[[case]], method = "eigen",
                                            zero.policy = z)
  if (case != "island")
    fits[[paste0(case, "_SDM")]] <- lagsarlm(F, data = df, listw = lw[[case]],
                                             method = "eigen", Durbin = TRUE)
  if (case == "knn4")
    fits[[paste0(case, "_SDEM")]] <- errorsarlm(F, data = df, listw = lw[[case]],
                                               method = "eigen", Durbin = TRUE)
}
for (name in names(fits)) pr(name, fits[[name]])

## ---- impacts ---------------------------------------------------------------------------------
## Lag models: exact impacts from the dense (I - rho W)^{-1} (listw given; R = NULL, so no
## simulation). For style "B" the lag of the intercept is a regressor of the SDM (R's
## create_WX adds it when the style is not "W"), and impacts() leaves it out.
for (name in names(fits)) {
  m <- fits[[name]]
  case <- sub("_.*", "", name)
  if (m$type %in% c("lag", "mixed")) imp_exact(name, m, lw[[case]])
}
## SDEM: beta (direct) and theta (indirect) -- impacts() needs no weights.
imp <- impacts(fits[["knn4_SDEM"]])
print(imp)
for (eff in c("direct", "indirect", "total"))
  kv("knn4_SDEM_impacts", eff, imp$impacts[[eff]])

cat("\n")
print(sessionInfo())
