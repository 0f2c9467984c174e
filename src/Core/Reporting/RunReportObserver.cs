using MnistCnn.Core.Data;
using MnistCnn.Core.Diagnostics;
using MnistCnn.Core.Training;

namespace MnistCnn.Core.Reporting;

/// <summary>
/// Writes the pictures and <c>report.html</c> of a finished run into its folder when
/// <see cref="TrainingOptions.Report"/> asks for them. Attach it before trackers, so they can upload the files.
/// Never fails a run: problems are warnings.
/// </summary>
public sealed class RunReportObserver(DataSplit test, IReadOnlyList<string> classNames, IReporter? reporter = null) : ITrainingObserver
{
    private readonly IReporter reporter = reporter ?? NullReporter.Instance;

    public void RunStarted(RunStartInfo run)
    {
    }

    public void EpochCompleted(RunStartInfo run, EpochResult epoch)
    {
    }

    public void RunEnded(RunStartInfo run, TrainingResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        if (result.Status == RunStatus.Finished && result.Options.Report && result.OutputPath is { } folder)
        {
            RunReport.TryWrite(folder, result, test, classNames, reporter);
        }
    }
}
