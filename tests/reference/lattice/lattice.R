## Large-n reference for spatialflow (sparse LU path, n = 2025 > 1500).
## Run from this directory:  Rscript lattice.R > lattice_ref.txt 2>&1
## Writes lattice.csv (data) and lattice.gal (neighbours), then fits on the CSV as read back.
##
## Machine-readable lines start with "KV" and have the form
##   KV <model> <quantity> <name> <value>      (value with 12 significant digits)
## Everything else is R's own printout, kept for a human reader.
suppressPackageStartupMessages({library(spdep); library(spatialreg); library(Matrix)})
options(digits = 12, width = 120)
kv <- function(model, quantity, x) {
  nm <- names(x); if (is.null(nm)) nm <- rep("-", length(x))
  for (i in seq_along(x)) cat(sprintf("KV %s %s %s %.12g\n", model, quantity, nm[i], x[[i]]))
}
kvmat <- function(model, quantity, M) {
  for (i in rownames(M)) for (j in colnames(M))
    cat(sprintf("KV %s %s %s|%s %.12g\n", model, quantity, i, j, M[i, j]))
}

## ---- simulate -------------------------------------------------------------------------
nb <- cell2nb(45, 45, type = "queen")
n <- length(nb)
lw <- nb2listw(nb, style = "W")
W <- as(lw, "CsparseMatrix")
set.seed(20261123)
x1 <- rnorm(n); x2 <- rnorm(n)
X <- cbind(1, x1, x2)
beta <- c(1, 0.5, -0.3); theta <- c(0.2, 0.1)
eps_sdm <- rnorm(n); eps_sem <- rnorm(n)
A_rho <- Diagonal(n) - 0.5 * W
y_sdm <- as.vector(solve(A_rho, X %*% beta + W %*% cbind(x1, x2) %*% theta + eps_sdm))
A_lam <- Diagonal(n) - 0.6 * W
y_sem <- as.vector(X %*% beta + solve(A_lam, eps_sem))
## 17 significant digits: the CSV round-trips every double exactly.
out <- data.frame(id = seq_len(n), y_sdm = y_sdm, y_sem = y_sem, x1 = x1, x2 = x2)
out[-1] <- lapply(out[-1], function(v) sprintf("%.17g", v))
write.csv(out, "lattice.csv", row.names = FALSE, quote = FALSE)
write.nb.gal(nb, "lattice.gal")

## ---- fit on the data as read back ---------------------------------------------------------
df <- read.csv("lattice.csv")
stopifnot(identical(df$id, seq_len(n)), all(df$x1 == x1), all(df$y_sdm == y_sdm))
cat("n =", n, " card range:", range(card(nb)), "\n")

pr <- function(name, m) {
  s <- summary(m)
  cat("\n##", name, " method =", m$method, "\n")
  print(s)
  kv(name, "coef", coef(m))
  se <- s$Coef[, 2]
  kv(name, "se", se)
  if (!is.null(m$rho)) { kv(name, "rho", c(rho = m$rho)); kv(name, "rho.se", c(rho = m$rho.se)) }
  else { kv(name, "lambda", c(lambda = m$lambda)); kv(name, "lambda.se", c(lambda = m$lambda.se)) }
  kv(name, "logLik", c(logLik = as.numeric(logLik(m))))
  kv(name, "s2", c(s2 = m$s2))
  cat("ase (analytic asymptotic covariance used):", m$ase, "\n")
  cat("m$fdHess (inverse of minus the numerical Hessian of the sigma2-concentrated logL):\n")
  print(m$fdHess)
  if (is.matrix(m$fdHess)) kvmat(name, "fdHess", m$fdHess)
  cat("vcov():\n")
  v <- tryCatch(vcov(m), error = function(e) conditionMessage(e))
  print(v)
  if (is.matrix(v)) kvmat(name, "vcov", v)
}
t0 <- proc.time()
sdm <- lagsarlm(y_sdm ~ x1 + x2, data = df, listw = lw, Durbin = TRUE, method = "LU")
pr("SDM", sdm)
sdm_mat <- lagsarlm(y_sdm ~ x1 + x2, data = df, listw = lw, Durbin = TRUE, method = "Matrix")
pr("SDM_Matrix", sdm_mat)
sar <- lagsarlm(y_sdm ~ x1 + x2, data = df, listw = lw, method = "LU")
pr("SAR", sar)
sem <- errorsarlm(y_sem ~ x1 + x2, data = df, listw = lw, method = "LU")
pr("SEM", sem)
sdem <- errorsarlm(y_sem ~ x1 + x2, data = df, listw = lw, Durbin = TRUE, method = "LU")
pr("SDEM", sdem)

## ---- an accurate numerical Hessian of the same likelihood, as a check on fdHess -----------
## For n > control$small (1500) and method != "eigen", lagsarlm/errorsarlm report
## solve(-H) with H = nlme::fdHess(f_laglm_hess / f_errlm_hess) -- the Hessian in
## (rho|lambda, beta) of the log-likelihood with sigma2 concentrated out, by a quadratic design
## with relative steps eps^(1/3) * |par|. Here the same concentrated log-likelihood is written
## out and differentiated with numDeriv::hessian (Richardson extrapolation), the log-determinant
## from a sparse LU of I - a W (Matrix::lu), to show how far fdHess is from the exact Hessian.
IW <- Diagonal(n) - W
ldet_cache <- new.env()
ldet <- function(a) {
  key <- sprintf("%.17g", a)
  if (is.null(ldet_cache[[key]])) {
    ldet_cache[[key]] <- as.numeric(determinant(Diagonal(n) - a * W, logarithm = TRUE)$modulus)
  }
  ldet_cache[[key]]
}
conc_ll <- function(par, y, Xm, lag) {
  a <- par[1]; b <- par[-1]
  r <- if (lag) y - a * as.vector(W %*% y) - as.vector(Xm %*% b)
       else { u <- y - as.vector(Xm %*% b); u - a * as.vector(W %*% u) }
  sse <- sum(r^2)
  ldet(a) - (n / 2) * log(2 * pi) - (n / 2) * log(sse / n) - n / 2
}
nd_check <- function(name, m, y, Xm, lag) {
  a <- if (lag) m$rho else m$lambda
  par <- c(a, coef(m)[colnames(Xm)])
  stopifnot(all.equal(conc_ll(par, y, Xm, lag), as.numeric(logLik(m)), tolerance = 1e-9))
  H <- numDeriv::hessian(conc_ll, par, y = y, Xm = Xm, lag = lag)
  V <- solve(-H)
  se <- setNames(sqrt(diag(V)), c(if (lag) "rho" else "lambda", colnames(Xm)))
  cat("\n##", name, "numDeriv::hessian SEs (sigma2 concentrated):\n"); print(se)
  kv(name, "se_numDeriv", se)
}
Xd <- cbind("(Intercept)" = 1, x1 = df$x1, x2 = df$x2,
            lag.x1 = as.vector(W %*% df$x1), lag.x2 = as.vector(W %*% df$x2))
nd_check("SDM", sdm, df$y_sdm, Xd, TRUE)
nd_check("SAR", sar, df$y_sdm, Xd[, 1:3], TRUE)
nd_check("SEM", sem, df$y_sem, Xd[, 1:3], FALSE)
nd_check("SDEM", sdem, df$y_sem, Xd, FALSE)
## spatialreg's own alternative: stats::optimHess instead of fdHess (lag models only: in
## spatialreg 1.2.6 getVmate's optimHess branch calls the lag-model function f_laglm_hess).
sdm_oh <- lagsarlm(y_sdm ~ x1 + x2, data = df, listw = lw, Durbin = TRUE, method = "LU",
                   control = list(fdHess = TRUE, optimHess = TRUE))
kv("SDM_optimHess", "se", summary(sdm_oh)$Coef[, 2])
kv("SDM_optimHess", "rho.se", c(rho = sdm_oh$rho.se))
sar_oh <- lagsarlm(y_sdm ~ x1 + x2, data = df, listw = lw, method = "LU",
                   control = list(fdHess = TRUE, optimHess = TRUE))
kv("SAR_optimHess", "se", summary(sar_oh)$Coef[, 2])
kv("SAR_optimHess", "rho.se", c(rho = sar_oh$rho.se))
cat("\nfit + Hessian checks time (s):", (proc.time() - t0)[["elapsed"]], "\n")

## ---- impacts: exact traces of W^j (j <= 30, type = "mult"), 2,000 draws -------------------
trMat <- trW(W, type = "mult")
kv("TR", "trW", setNames(as.numeric(trMat), paste0("j", seq_along(trMat))))
set.seed(20261123)
imp <- impacts(sdm, tr = trMat, R = 2000)
print(imp)
si <- summary(imp, zstats = TRUE, short = TRUE)
print(si)
for (eff in c("direct", "indirect", "total")) {
  kv("SDM_impacts", eff, setNames(imp$res[[eff]], attr(imp, "bnames")))
  kv("SDM_impacts", paste0(eff, ".se"),
     setNames(apply(as.matrix(imp$sres[[eff]]), 2, sd), attr(imp, "bnames")))
}
set.seed(20261123)
imps <- impacts(sar, tr = trMat, R = 2000)
print(summary(imps, zstats = TRUE, short = TRUE))
for (eff in c("direct", "indirect", "total")) {
  kv("SAR_impacts", eff, setNames(imps$res[[eff]], attr(imps, "bnames")))
  kv("SAR_impacts", paste0(eff, ".se"),
     setNames(apply(as.matrix(imps$sres[[eff]]), 2, sd), attr(imps, "bnames")))
}
cat("\n")
print(sessionInfo())
