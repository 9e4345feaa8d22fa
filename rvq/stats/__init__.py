"""The statistics of step f: is RV a leading indicator (`backtest`, with `panelfe`,
`granger`, `oot`, `leadlag`, `resample`), the segment questions (`segments`), DO vs SAY
(`dovssay`), norms (`norms`) and the power of the design (`power`)."""
