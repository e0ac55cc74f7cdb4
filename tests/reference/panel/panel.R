# Static spatial panel references for spatialflow (R spatialreg/spdep only; splm is not in
# Debian bookworm, so the panel estimators are obtained as exact cross-sectional ML fits of
# spatialreg on transformed data -- see README.md for the algebra).
#
# Run from this folder:  Rscript panel.R > panel_ref.txt 2>&1
# Writes panel_sim.csv and panel_sim_re.csv (id, time, y, x1, x2) and panel_sim.gal
# (cell2nb(7, 7, "queen"), ids 1..49).
suppressPackageStartupMessages({library(spdep); library(spatialreg)})
options(digits = 12)

## ---- data: two balanced panels simulated on the same lattice -----------------------------
# panel_sim.csv    : two-way FE SDM (unit effects correlated with x1, time effects) -> FE cases
# panel_sim_re.csv : one-way random-effects SDM (unit effects independent of x)  -> RE, Hausman
set.seed(20261123)
nb <- cell2nb(7, 7, type = "queen")
n <- length(nb); T <- 6L
lw <- nb2listw(nb, style = "W")
W <- listw2mat(lw)
rho0 <- 0.4; beta0 <- c(1, -0.5); theta0 <- c(0.3, 0.2)
A <- solve(diag(n) - rho0 * W)
simulate <- function(mu, tau, load_x1) {
  rows <- vector("list", T)
  for (t in seq_len(T)) {
    x1 <- load_x1 * mu + rnorm(n)
    x2 <- rnorm(n)
    eps <- rnorm(n)
    y <- A %*% (beta0[1] * x1 + beta0[2] * x2 + theta0[1] * (W %*% x1) +
                theta0[2] * (W %*% x2) + mu + tau[t] + eps)
    rows[[t]] <- data.frame(id = seq_len(n), time = t, y = round(as.numeric(y), 8),
                            x1 = round(x1, 8), x2 = round(x2, 8))
  }
  do.call(rbind, rows)
}
mu <- rnorm(n); tau <- rnorm(T)
write.csv(simulate(mu, tau, load_x1 = 0.5), "panel_sim.csv", row.names = FALSE)
mu_re <- rnorm(n)
write.csv(simulate(mu_re, rep(0, T), load_x1 = 0), "panel_sim_re.csv", row.names = FALSE)
write.nb.gal(nb, "panel_sim.gal")

## ---- read back exactly what Python will read ----------------------------------------------
nb2 <- read.gal("panel_sim.gal")
lw <- nb2listw(nb2, style = "W"); W <- listw2mat(lw)
IT <- diag(T)
WNT <- kronecker(IT, W)
read_panel <- function(file) {
  d <- read.csv(file)
  d <- d[order(d$time, d$id), ]      # stack period by period: row (t-1)*n + i
  stopifnot(all(d$id == rep(seq_len(n), T)), all(d$time == rep(seq_len(T), each = n)))
  d$wx1 <- as.numeric(WNT %*% d$x1)  # W applied to the raw regressors, period by period
  d$wx2 <- as.numeric(WNT %*% d$x2)
  d
}
d <- read_panel("panel_sim.csv")
d_re <- read_panel("panel_sim_re.csv")
vars <- c("y", "x1", "x2", "wx1", "wx2")
ev <- Re(eigen(W, only.values = TRUE)$values)

## ---- transforms ------------------------------------------------------------------------------
unit <- rep(seq_len(n), T); per <- rep(seq_len(T), each = n)
dm_ind <- function(v) v - ave(v, unit)
dm_tw <- function(v) v - ave(v, unit) - ave(v, per) + mean(v)
# orthonormal basis of the complement of the constant (eigenvectors of I - J/m, eigenvalue 1)
Fmat <- function(m) { e <- eigen(diag(m) - matrix(1 / m, m, m), symmetric = TRUE)
                      e$vectors[, abs(e$values - 1) < 1e-8, drop = FALSE] }
FT <- Fmat(T); Fn <- Fmat(n)
Wstar <- t(Fn) %*% W %*% Fn          # (n-1) x (n-1): eigenvalues of W without the unit root
mk_listw <- function(M) {            # listw holding M's weights as given (may be negative)
  nbm <- lapply(seq_len(nrow(M)), function(i) { j <- which(abs(M[i, ]) > 0)
                                              if (length(j)) as.integer(j) else 0L })
  class(nbm) <- "nb"; attr(nbm, "region.id") <- as.character(seq_len(nrow(M)))
  gl <- lapply(seq_len(nrow(M)), function(i) if (nbm[[i]][1] == 0L) NULL else M[i, nbm[[i]]])
  nb2listw(nbm, glist = gl, style = "B", zero.policy = TRUE)
}
lw_NT <- mat2listw(WNT, style = "W")                        # I_T (x) W
lw_ind_LY <- mat2listw(kronecker(diag(T - 1), W), style = "W") # I_{T-1} (x) W
lw_tw_LY <- mk_listw(kronecker(diag(T - 1), Wstar))           # I_{T-1} (x) F_n' W F_n
stopifnot(max(abs(listw2mat(lw_tw_LY) - kronecker(diag(T - 1), Wstar))) < 1e-14)
ev_star <- sort(ev)[-n]              # drop the eigenvalue 1 of row-standardised W
stopifnot(max(abs(sort(Re(eigen(Wstar, only.values = TRUE)$values)) - sort(ev_star))) < 1e-10)

D_ind <- as.data.frame(lapply(d[vars], dm_ind))
D_tw <- as.data.frame(lapply(d[vars], dm_tw))
td <- paste0("td", 2:T)               # unit-demeaned period dummies 2..T
for (t in 2:T) D_ind[[td[t - 1]]] <- dm_ind(as.numeric(per == t))
f_sdm_td <- as.formula(paste("y ~ x1 + x2 + wx1 + wx2 +", paste(td, collapse = " + "), "- 1"))
f_sar_td <- as.formula(paste("y ~ x1 + x2 +", paste(td, collapse = " + "), "- 1"))
LY_ind <- as.data.frame(lapply(d[vars], function(v) as.numeric(kronecker(t(FT), diag(n)) %*% v)))
LY_tw <- as.data.frame(lapply(d[vars], function(v) as.numeric(kronecker(t(FT), t(Fn)) %*% v)))

f_sdm <- y ~ x1 + x2 + wx1 + wx2 - 1
f_sar <- y ~ x1 + x2 - 1
pr <- function(name, m, nobs_note) {
  s <- summary(m)
  sp_name <- if (!is.null(m$rho)) "rho" else "lambda"
  cat("\n##", name, "\n"); cat(nobs_note, "\n")
  cat("coefficients (spatial parameter first):\n"); print(coef(m), digits = 12)
  cat("se (betas, analytical asymptotic from spatialreg):\n"); print(s$Coef[, 2], digits = 12)
  cat(sp_name, format(if (sp_name == "rho") m$rho else m$lambda, digits = 15), "se",
      format(if (sp_name == "rho") m$rho.se else m$lambda.se, digits = 15), "\n")
  cat("sigma2", format(m$s2, digits = 15), " logLik", format(as.numeric(logLik(m)), digits = 15),
      " nobs", length(residuals(m)), "\n")
  cat("vcov (", sp_name, ", betas) from vcov():\n", sep = ""); print(vcov(m), digits = 12)
}

## ---- a. fixed effects: direct (uncorrected) within ML and Lee-Yu transformation ML ----------
cat("#### a. panel_sim.csv (two-way FE DGP). Fixed effects SDM (regressors x1, x2, wx1 = W x1, wx2 = W x2; no intercept)\n")
fe_ind <- lagsarlm(f_sdm, data = D_ind, listw = lw_NT, method = "eigen",
                   control = list(pre_eig = rep(ev, T)))
pr("FE_SDM_individual_direct (splm LeeYu=FALSE analogue)", fe_ind, "data: unit-demeaned, W = I_T (x) W, N = nT = 294")
fe_ind_ly <- lagsarlm(f_sdm, data = LY_ind, listw = lw_ind_LY, method = "eigen",
                      control = list(pre_eig = rep(ev, T - 1)))
pr("FE_SDM_individual_LeeYu (transformation approach)", fe_ind_ly, "data: (F_T' (x) I_n) y, W = I_{T-1} (x) W, N = n(T-1) = 245")
cat("check sigma2_LY / sigma2_direct - T/(T-1):", format(fe_ind_ly$s2 / fe_ind$s2 - T / (T - 1), digits = 6), "\n")

fe_tw_td <- lagsarlm(f_sdm_td, data = D_ind, listw = lw_NT, method = "eigen",
                     control = list(pre_eig = rep(ev, T)))
pr("FE_SDM_twoways_direct_perioddummies (within: Q applied to y, X and (I_T (x) W) y)", fe_tw_td,
   "data: unit-demeaned + unit-demeaned period dummies td2..td6, W = I_T (x) W, N = nT = 294")
fe_tw <- lagsarlm(f_sdm, data = D_tw, listw = lw_NT, method = "eigen",
                  control = list(pre_eig = rep(ev, T)))
pr("FE_SDM_twoways_direct_splmstyle (W applied to two-way demeaned y; splm LeeYu=FALSE convention)", fe_tw,
   "data: two-way demeaned y, X, WX; Wy = (I_T (x) W) y_demeaned, N = nT = 294")
fe_tw_ly <- lagsarlm(f_sdm, data = LY_tw, listw = lw_tw_LY, method = "eigen",
                     control = list(pre_eig = rep(ev_star, T - 1)))
pr("FE_SDM_twoways_LeeYu (transformation approach)", fe_tw_ly, "data: (F_T' (x) F_n') y, W = I_{T-1} (x) F_n' W F_n, N = (n-1)(T-1) = 240")

# independent check: Lee-Yu (2010) two-way transformed log-likelihood written out directly on the
# two-way demeaned data, l = -(n-1)(T-1)/2 log(2 pi s2) + (T-1)[log|I - rho W| - log(1 - rho)] - SSE/(2 s2)
r_ly <- fe_tw_ly$rho
e_chk <- D_tw$y - r_ly * dm_tw(as.numeric(WNT %*% d$y)) -
         as.matrix(D_tw[c("x1", "x2", "wx1", "wx2")]) %*% coef(fe_tw_ly)[-1]
N_ly <- (n - 1) * (T - 1); s2_chk <- sum(e_chk^2) / N_ly
ll_chk <- -N_ly / 2 * log(2 * pi * s2_chk) + (T - 1) * (sum(log(1 - r_ly * ev)) - log(1 - r_ly)) - N_ly / 2
cat("check two-way LY from demeaned data: sigma2", format(s2_chk, digits = 15), " logLik",
    format(ll_chk, digits = 15), "\n")

fe_err <- errorsarlm(f_sdm, data = D_ind, listw = lw_NT, method = "eigen",
                     control = list(pre_eig = rep(ev, T)))
pr("FE_SDEM_individual_direct (spatial error, regressors x1 x2 wx1 wx2)", fe_err, "data: unit-demeaned, W = I_T (x) W, N = 294")
fe_err_ly <- errorsarlm(f_sdm, data = LY_ind, listw = lw_ind_LY, method = "eigen",
                        control = list(pre_eig = rep(ev, T - 1)))
pr("FE_SDEM_individual_LeeYu (transformation approach)", fe_err_ly, "data: (F_T' (x) I_n) y, W = I_{T-1} (x) W, N = 245")

fe_sar <- lagsarlm(f_sar, data = D_ind, listw = lw_NT, method = "eigen",
                   control = list(pre_eig = rep(ev, T)))
pr("FE_SAR_individual_direct (x1 x2 only)", fe_sar, "data: unit-demeaned, N = 294")
fe_sem <- errorsarlm(f_sar, data = D_ind, listw = lw_NT, method = "eigen",
                     control = list(pre_eig = rep(ev, T)))
pr("FE_SEM_individual_direct (x1 x2 only)", fe_sem, "data: unit-demeaned, N = 294")
cat("LR SDM vs SAR (individual, direct):", format(2 * (as.numeric(logLik(fe_ind)) - as.numeric(logLik(fe_sar))), digits = 12), "df 2\n")
cat("LR SDM vs SEM (individual, direct):", format(2 * (as.numeric(logLik(fe_ind)) - as.numeric(logLik(fe_sem))), digits = 12), "df 2\n")
ols_w <- lm(f_sdm, data = D_ind)
cat("\n## non-spatial within OLS (individual) coefficients:\n"); print(coef(ols_w), digits = 12)

## ---- b. random effects SDM by exact ML, profile over phi = sigma2 / (sigma2 + T sigma2_mu) ---
# For fixed phi the RE model is a cross-sectional SAR on y_it - (1 - sqrt(phi)) ybar_i (the
# intercept column becomes sqrt(phi)); the full log-likelihood adds (n/2) log(phi).
cat("\n#### b. panel_sim_re.csv (one-way RE DGP). FE individual SDM and random effects SDM (intercept, x1, x2, wx1, wx2), exact ML\n")
D_re_ind <- as.data.frame(lapply(d_re[vars], dm_ind))
LY_re_ind <- as.data.frame(lapply(d_re[vars], function(v) as.numeric(kronecker(t(FT), diag(n)) %*% v)))
fe_re_ind <- lagsarlm(f_sdm, data = D_re_ind, listw = lw_NT, method = "eigen",
                      control = list(pre_eig = rep(ev, T)))
pr("REDATA_FE_SDM_individual_direct", fe_re_ind, "data: panel_sim_re unit-demeaned, W = I_T (x) W, N = 294")
fe_re_ind_ly <- lagsarlm(f_sdm, data = LY_re_ind, listw = lw_ind_LY, method = "eigen",
                         control = list(pre_eig = rep(ev, T - 1)))
pr("REDATA_FE_SDM_individual_LeeYu", fe_re_ind_ly, "data: panel_sim_re (F_T' (x) I_n) y, N = 245")
re_fit <- function(phi) {
  a <- 1 - sqrt(phi)
  Z <- as.data.frame(lapply(d_re[vars], function(v) v - a * ave(v, unit)))
  Z$const <- sqrt(phi)
  lagsarlm(y ~ const + x1 + x2 + wx1 + wx2 - 1, data = Z, listw = lw_NT, method = "eigen",
           control = list(pre_eig = rep(ev, T)))
}
re_prof <- function(phi) as.numeric(logLik(re_fit(phi))) + n / 2 * log(phi)
opt <- optimize(re_prof, c(1e-6, 1), maximum = TRUE, tol = 1e-12)
phi <- opt$maximum
re <- re_fit(phi)
pr("REDATA_RE_SDM (SE conditional on phi)", re, "data: quasi-demeaned at phi_hat, W = I_T (x) W, N = 294")
s2 <- re$s2
cat("phi (theta^2 = sigma2/(sigma2 + T sigma2_mu))", format(phi, digits = 15), "\n")
cat("sigma2_mu", format(s2 * (1 / phi - 1) / T, digits = 15),
    " splm-style phi = sigma2_mu/sigma2", format((1 / phi - 1) / T, digits = 15), "\n")
cat("logLik_full", format(opt$objective, digits = 15), "\n")
# full log-likelihood in (rho, beta, log sigma2, phi) for the joint numerical Hessian
Xall <- cbind(1, as.matrix(d_re[c("x1", "x2", "wx1", "wx2")])); wy <- as.numeric(WNT %*% d_re$y)
ll_full <- function(p) {
  r <- p[1]; b <- p[2:6]; sg <- p[7]; ph <- p[8]; a <- 1 - sqrt(ph)
  qd <- function(v) v - a * ave(v, unit)
  e <- qd(d_re$y) - r * qd(wy) - apply(Xall, 2, qd) %*% b
  -n * T / 2 * log(2 * pi * sg) + n / 2 * log(ph) + T * sum(log(1 - r * ev)) - sum(e^2) / (2 * sg)
}
p_hat <- c(re$rho, coef(re)[-1], s2, phi)
cat("ll_full at estimate (must equal logLik_full):", format(ll_full(p_hat), digits = 15), "\n")
H <- optimHess(p_hat, ll_full, control = list(ndeps = rep(1e-5, 8)))
H4 <- optimHess(p_hat, ll_full, control = list(ndeps = rep(1e-4, 8)))
cat("max relative change of the RE SEs between ndeps 1e-5 and 1e-4:",
    format(max(abs(sqrt(diag(solve(-H4))) / sqrt(diag(solve(-H))) - 1)), digits = 3), "\n")
V_re <- solve(-H)
dimnames(V_re) <- list(c("rho", "(Intercept)", "x1", "x2", "wx1", "wx2", "sigma2", "phi"),
                       c("rho", "(Intercept)", "x1", "x2", "wx1", "wx2", "sigma2", "phi"))
cat("RE full-information SEs (numerical Hessian of the full log-likelihood, stats::optimHess):\n")
print(sqrt(diag(V_re)), digits = 10)

## Hausman: FE (individual, direct) vs RE on (rho, x1, x2, wx1, wx2), H = d'(V_FE - V_RE)^-1 d
cn <- c("rho", "x1", "x2", "wx1", "wx2")
b_fe <- coef(fe_re_ind)[cn]; b_re <- c(rho = re$rho, coef(re)[c("x1", "x2", "wx1", "wx2")])
V_fe <- vcov(fe_re_ind)[cn, cn]
V_re5 <- V_re[cn, cn]
dd <- b_fe - b_re
Hs <- as.numeric(t(dd) %*% solve(V_fe - V_re5) %*% dd)
cat("\nHausman (FE direct vs RE, common coefs rho x1 x2 wx1 wx2; V_FE = vcov(lagsarlm), V_RE = numerical Hessian):\n")
cat("chisq", format(Hs, digits = 12), " df 5  p", format(pchisq(Hs, 5, lower.tail = FALSE), digits = 12), "\n")
V_fe_ly <- vcov(fe_re_ind_ly)[cn, cn]; dd_ly <- coef(fe_re_ind_ly)[cn] - b_re
H_ly <- as.numeric(t(dd_ly) %*% solve(V_fe_ly - V_re5) %*% dd_ly)
cat("Hausman (FE Lee-Yu vs RE, same 5 coefs; V_FE = vcov of the Lee-Yu fit): chisq", format(H_ly, digits = 12),
    " df 5  p", format(pchisq(H_ly, 5, lower.tail = FALSE), digits = 12), "\n")
cat("eigenvalues of V_FE - V_RE (direct):", format(eigen(V_fe - V_re5, symmetric = TRUE)$values, digits = 6), "\n")
cat("eigenvalues of V_FE - V_RE (Lee-Yu):", format(eigen(V_fe_ly - V_re5, symmetric = TRUE)$values, digits = 6), "\n")
cat("(splm::sphtest reports abs() of the statistic; a negative value means V_FE - V_RE is not positive definite)\n")
Hb <- as.numeric(t(dd[-1]) %*% solve(V_fe[-1, -1] - V_re5[-1, -1]) %*% dd[-1])
cat("Hausman on betas only (x1 x2 wx1 wx2): chisq", format(Hb, digits = 12), " df 4  p",
    format(pchisq(Hb, 4, lower.tail = FALSE), digits = 12), "\n")

## ---- c. panel LM tests on (within) OLS residuals with I_T (x) W (slmtest analogue) ---------
cat("\n#### c. LM tests with I_T (x) W (spdep::lm.LMtests on stacked data); panel_sim.csv unless REDATA\n")
lmt <- function(name, f, data) {
  m <- lm(f, data = data)
  r <- lm.LMtests(m, lw_NT, test = c("LMerr", "LMlag", "RLMerr", "RLMlag", "SARMA"))
  cat("\n##", name, "\n")
  for (k in names(r)) cat(k, "stat", format(unname(r[[k]]$statistic), digits = 12), "df",
                          unname(r[[k]]$parameter), "p", format(r[[k]]$p.value, digits = 12), "\n")
}
lmt("LM pooled OLS  y ~ 1 + x1 + x2", y ~ x1 + x2, d)
lmt("LM within individual  y ~ x1 + x2 - 1 (unit-demeaned)", f_sar, D_ind)
lmt("LM within twoways, period dummies  y ~ x1 + x2 + td2..td6 - 1 (unit-demeaned)", f_sar_td, D_ind)
lmt("LM within twoways, splm-style  y ~ x1 + x2 - 1 (two-way demeaned, W applied to demeaned fit)", f_sar, D_tw)
lmt("LM within individual  y ~ x1 + x2 + wx1 + wx2 - 1 (unit-demeaned)", f_sdm, D_ind)
lmt("REDATA LM pooled OLS  y ~ 1 + x1 + x2", y ~ x1 + x2, d_re)
lmt("REDATA LM within individual  y ~ x1 + x2 - 1 (unit-demeaned)", f_sar, D_re_ind)

cat("\n")
print(sessionInfo())
