// log — TensorBoard event files in pure TypeScript: SummaryWriter (scalars, histograms), a reader, and
// Plotly views of the logs for notebooks without TensorBoard; helpers for gradients and entropies.
export { SummaryWriter, defaultRunName } from "./writer";
export type { SummaryWriterOptions } from "./writer";
export type { HistogramBins } from "./histogram";
export { makeHistogram } from "./histogram";
export { readEvents, readRun, listRuns } from "./reader";
export type { ScalarPoint, HistogramPoint, RunData, ReadOptions } from "./reader";
export { plotScalars, plotHistograms } from "./plots";
export type { PlotScalarsOptions, PlotHistogramsOptions } from "./plots";
export { inputGradients, GradientStore, InputGradientRecorder, recordInputGradients } from "./gradients";
export { outputEntropy, uniformEntropy } from "./entropy";
export { crc32c, maskedCrc32c } from "./crc32c";
