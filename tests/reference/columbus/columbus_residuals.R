# Residuals and fitted values of SEM and SAR (first four units), spatialreg 1.2.6 / R 4.2.2.
# Run: Rscript columbus_residuals.R > columbus_residuals_ref.txt   (stdout only: R also
# prints a note about fitted values of error models on stderr)
suppressPackageStartupMessages({library(spdep); library(spatialreg)})
data(oldcol, package="spdep")
lw <- nb2listw(COL.nb, style="W")
sem <- errorsarlm(CRIME ~ INC + HOVAL, data=COL.OLD, listw=lw, method="eigen")
sar <- lagsarlm(CRIME ~ INC + HOVAL, data=COL.OLD, listw=lw, method="eigen")
cat(format(head(residuals(sem),4), digits=12), "\n"); cat(format(head(fitted(sem),4), digits=12), "\n")
cat(format(head(residuals(sar),4), digits=12), "\n"); cat(format(head(fitted(sar),4), digits=12), "\n")
