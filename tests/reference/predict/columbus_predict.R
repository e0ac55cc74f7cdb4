# In-sample predictors of R spatialreg's predict.Sarlm on Columbus (oldcol), for
# tests/test_prediction.py. Run: Rscript columbus_predict.R > columbus_predict_ref.txt
# Prints "KV <model> <pred.type> <unit> <value>" for every unit (17 significant digits).
suppressPackageStartupMessages({library(spdep); library(spatialreg)})
data(oldcol, package="spdep")
lw <- nb2listw(COL.nb, style="W")
cat("# R", R.version.string, "spatialreg", as.character(packageVersion("spatialreg")), "\n")
ids <- row.names(COL.OLD)
out <- function(model, type, v) {
  for (i in seq_along(v)) cat("KV", model, type, ids[i], format(v[i], digits=17), "\n")
}
sar <- lagsarlm(CRIME ~ INC + HOVAL, data=COL.OLD, listw=lw, method="eigen")
sdm <- lagsarlm(CRIME ~ INC + HOVAL, data=COL.OLD, listw=lw, method="eigen", type="mixed")
sem <- errorsarlm(CRIME ~ INC + HOVAL, data=COL.OLD, listw=lw, method="eigen")
for (m in list(list("SAR", sar), list("SDM", sdm))) {
  for (type in c("TS", "trend", "TC", "BP")) {
    p <- predict(m[[2]], listw=lw, pred.type=type)
    out(m[[1]], type, as.vector(p))
  }
}
for (type in c("TS", "trend")) out("SEM", type, as.vector(predict(sem, listw=lw, pred.type=type)))
# New X on the same units: INC + 1 everywhere, the reduced form (TC).
nd <- COL.OLD; nd$INC <- nd$INC + 1
out("SAR", "TCnew", as.vector(predict(sar, newdata=nd, listw=lw, pred.type="TC")))
out("SDM", "TCnew", as.vector(predict(sdm, newdata=nd, listw=lw, pred.type="TC")))
