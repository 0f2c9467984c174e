using MnistCnn.Core.Diagnostics;

namespace MnistCnn.Core.Tracking;

/// <summary>
/// "The tracking server cannot be reached", said once for a group of runs that are published together (a sweep: its
/// parent run and every trial) instead of once or twice per run. The first report is a warning with the server's
/// error and the one Publish-CnnRun command for the whole group; what each run would have said is a Verbose line.
/// The runs of the group share it through <see cref="TrackingSettings.Offline"/> (in one process).
/// </summary>
public sealed class OfflineNotice
{
    private int warned;

    /// <param name="group">What the runs are, for the warning: "sweep 'lr-sweep'".</param>
    /// <param name="publishFolder">The folder Publish-CnnRun publishes the whole group from.</param>
    public OfflineNotice(string group, string publishFolder)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(group);
        ArgumentException.ThrowIfNullOrWhiteSpace(publishFolder);
        Group = group;
        PublishFolder = publishFolder;
    }

    public string Group { get; }

    public string PublishFolder { get; }

    /// <summary>Whether the group's one warning has been given.</summary>
    public bool Warned => Volatile.Read(ref warned) == 1;

    /// <summary>
    /// A run of the group could not reach the server (<paramref name="error"/>): the group's warning the first time,
    /// and <paramref name="detail"/> (what the run alone would have warned) as Verbose every time.
    /// </summary>
    public void Report(IReporter reporter, TrackingSettings settings, string error, string detail)
    {
        ArgumentNullException.ThrowIfNull(reporter);
        ArgumentNullException.ThrowIfNull(settings);
        if (Interlocked.Exchange(ref warned, 1) == 0)
        {
            reporter.Warning($"MLflow tracking: {error} Training goes on: the {Group} (its parent run and every trial) is journaled locally, " +
                $"and each run is sent if the server comes back while it trains. Otherwise publish it all later with: Publish-CnnRun -Path '{PublishFolder}' -TrackingUri {settings.ServerDisplay}");
        }
        reporter.Verbose(detail);
    }
}
