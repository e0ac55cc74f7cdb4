# Reference values for spatialflow.flows from R spflow (GPL-3; only its outputs are kept).
# Run: Rscript make_reference.R  (from this folder; spflow installed from a snapshot of
# github.com/LukeCe/spflow with `R CMD INSTALL .`). Writes the example data as CSV and the
# estimates of each fit as fit_<case>_<method>_<model>[_o<order>].csv (est, sd) plus ll.
suppressMessages(library(spflow)); library(Matrix)
options(digits = 15)
out <- function(x, f) write.csv(x, f, row.names = TRUE)
fit_save <- function(tag, f, net, pair_id, method, model, order = NULL) {
  ctrl <- if (is.null(order)) spflow_control(estimation_method = method, model = model)
          else spflow_control(estimation_method = method, model = model, logdet_approx_order = order)
  set.seed(1)
  t0 <- Sys.time()
  r <- spflow(f, net, pair_id, estimation_control = ctrl)
  el <- as.numeric(difftime(Sys.time(), t0, units = "secs"))
  res <- results(r)[, c("est", "sd")]
  ll <- tryCatch(as.numeric(logLik(r)), error = function(e) NA)
  if (length(ll) == 0) ll <- NA
  res <- rbind(res, data.frame(est = c(ll, el), sd = NA, row.names = c("_llf", "_seconds")))
  fn <- sprintf("fit_%s_%s_%s%s.csv", tag, method, model, if (is.null(order)) "" else paste0("_o", order))
  out(res, fn); cat(fn, "\n"); print(res)
}

## ---- multi_net_usa_ge: Germany (16 states, Cartesian) and USA (51 states, 30% of pairs)
data(multi_net_usa_ge)
for (g in c("ge", "usa")) {
  node <- pull_member(multi_net_usa_ge, g)
  d <- dat(node); out(d, sprintf("%s_nodes.csv", g))
  W <- as.matrix(neighborhood(node)); out(W, sprintf("%s_W.csv", g))
  pr <- dat(pull_member(multi_net_usa_ge, sprintf("%s_%s", g, g)))
  out(pr, sprintf("%s_pairs.csv", g))
}
f_ge <- y9 ~ O_(X) + D_(X) + I_(X) + P_(DISTANCE)
fit_save("ge", f_ge, multi_net_usa_ge, "ge_ge", "ols", "model_1")
for (m in paste0("model_", c(2:7, 9))) fit_save("ge", f_ge, multi_net_usa_ge, "ge_ge", "s2sls", m)
for (m in paste0("model_", 2:9)) fit_save("ge", f_ge, multi_net_usa_ge, "ge_ge", "mle", m)
for (m in paste0("model_", 2:9)) fit_save("ge", f_ge, multi_net_usa_ge, "ge_ge", "mle", m, order = 40)
fit_save("usa", f_ge, multi_net_usa_ge, "usa_usa", "ols", "model_1")
fit_save("usa", f_ge, multi_net_usa_ge, "usa_usa", "s2sls", "model_9")

## ---- paris10km: 71 municipalities, 5041 commuting pairs (Cartesian)
data(paris10km_municipalities); data(paris10km_commuteflows); data(paris10km_neighborhood)
mun <- sf::st_drop_geometry(paris10km_municipalities)
paris_net <- spflow_network("paris", node_neighborhood = paris10km_neighborhood$by_contiguity,
                            node_data = mun, node_key_column = "ID_MUN")
paris_pairs <- spflow_network_pair("paris", "paris", pair_data = paris10km_commuteflows,
                                   orig_key_column = "ID_ORIG", dest_key_column = "ID_DEST")
paris_multi <- spflow_network_multi(paris_net, paris_pairs)
out(dat(pull_member(paris_multi, "paris")), "paris_nodes.csv")
out(as.matrix(neighborhood(pull_member(paris_multi, "paris"))), "paris_W.csv")
out(dat(pull_member(paris_multi, "paris_paris")), "paris_pairs.csv")
f_paris <- log(1 + COMMUTE_FLOW) ~ O_(log(POPULATION) + log(MED_INCOME)) +
  D_(log(NB_COMPANY) + log(MED_INCOME)) + I_(log(POPULATION)) + P_(log(1 + DISTANCE))
fit_save("paris", f_paris, paris_multi, "paris_paris", "ols", "model_1")
fit_save("paris", f_paris, paris_multi, "paris_paris", "s2sls", "model_9")
fit_save("paris", f_paris, paris_multi, "paris_paris", "mle", "model_9")
fit_save("paris", f_paris, paris_multi, "paris_paris", "mle", "model_9", order = 40)

writeLines(c(R.version.string, paste("spflow", as.character(packageVersion("spflow"))),
             paste("Matrix", as.character(packageVersion("Matrix")))), "versions.txt")
