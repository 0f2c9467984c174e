using System.Globalization;
using MnistCnn.Core.Diagnostics;

namespace MnistCnn.Core.Tracking;

/// <summary>
/// A sweep's parent run on the MLflow server, found or created so that every trial, in any process on any machine,
/// links to the same one, and so that it exists before the first child run is created (the child then carries
/// mlflow.parentRunId from its runs/create on).
/// <para>
/// The parent is known by its tag mnistcnn.run_id = <see cref="RunIdFor"/>(sweep id), so any process can find it.
/// MLflow has no "create if absent", so processes that start together may each create one; they agree on one without
/// talking to each other: the candidate with the earliest start_time (then the lowest run id) wins once it is older
/// than <see cref="TrackingSettings.SweepSettle"/>, and each process deletes its own losing candidate. A candidate
/// created after another process took the earliest as settled starts later than it (as long as the machines' clocks
/// differ by less than the settle time), so no process ever changes its mind.
/// </para>
/// </summary>
public static class SweepParent
{
    public const string KindTag = "mnistcnn.kind";
    public const string SweepIdTag = "mnistcnn.sweep_id";

    /// <summary>Our run id (mnistcnn.run_id) of the parent run of sweep <paramref name="sweepId"/>.</summary>
    public static string RunIdFor(string sweepId) => "sweep-" + sweepId;

    /// <summary>
    /// Finds or creates the parent run of sweep <paramref name="sweepId"/> in the settings' experiment and returns its
    /// server run id; null when the server cannot be reached or refuses (a warning says why and how to publish later:
    /// the children keep the parent's id in their journals and are linked when published).
    /// </summary>
    public static string? Ensure(TrackingSettings settings, string sweepId, string runName, string? publishFolder = null,
        IReporter? reporter = null, CancellationToken cancellationToken = default) =>
        EnsureAsync(settings, sweepId, runName, publishFolder, reporter, cancellationToken).GetAwaiter().GetResult();

    /// <inheritdoc cref="Ensure"/>
    public static async Task<string?> EnsureAsync(TrackingSettings settings, string sweepId, string runName, string? publishFolder = null,
        IReporter? reporter = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentException.ThrowIfNullOrWhiteSpace(sweepId);
        if (!settings.IsRemote) return null;
        var scrub = new ScrubbingReporter(reporter ?? NullReporter.Instance, settings);
        using var client = new MlflowClient(settings) { RetryConnectionFailures = false };
        try
        {
            return await ElectAsync(client, settings, sweepId, runName, scrub, cancellationToken);
        }
        catch (MlflowApiException ex)
        {
            string how = publishFolder is null ? "" : $" Publish the sweep later with: Publish-CnnRun -Path '{publishFolder}' -TrackingUri {settings.ServerDisplay}";
            string message = $"The sweep's parent run could not be found or created: {ex.Message} The trials are journaled with its id ({RunIdFor(sweepId)}) and are linked to it when published.{how}";
            if (settings.Offline is { } notice && ex.IsConnectionFailure) notice.Report(scrub, settings, ex.Message, message);
            else scrub.Warning(message);
            return null;
        }
    }

    internal static async Task<string> ElectAsync(MlflowClient client, TrackingSettings settings, string sweepId, string runName, IReporter reporter, CancellationToken ct)
    {
        string parentId = RunIdFor(sweepId);
        string experimentId = await client.GetOrCreateExperimentAsync(settings.Experiment, ct);
        string filter = "tags.`" + RunSynchronizer.RunIdTag + "` = '" + parentId + "'";
        long settle = (long)settings.SweepSettle.TotalMilliseconds;
        ServerRun? mine = null;
        for (int round = 0; ; round++)
        {
            var candidates = await client.SearchRunsAsync([experimentId], filter, ct);
            if (candidates.Count == 0)
            {
                if (mine is not null || round > 20)
                {
                    throw new MlflowApiException(TrackingErrorIds.MlflowSweepParentLost, ErrorKind.InvalidOperation,
                        $"The sweep's parent run {parentId} vanished from {settings.ServerDisplay} while it was being chosen (deleted by someone?).", 0, null, false);
                }
                var tags = new Dictionary<string, string>(StringComparer.Ordinal)
                {
                    [RunSynchronizer.RunIdTag] = parentId,
                    ["mlflow.runName"] = runName,
                    ["mlflow.user"] = settings.User,
                    ["mlflow.source.name"] = settings.SourceName,
                    ["mlflow.source.type"] = "LOCAL",
                    [KindTag] = "sweep",
                    [SweepIdTag] = sweepId,
                };
                mine = await client.CreateRunAsync(experimentId, runName, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), settings.User, tags, ct);
                reporter.Verbose($"Created a candidate parent run {mine.RunId} for sweep {sweepId} on {settings.ServerDisplay}.");
                continue;
            }
            var earliest = candidates.OrderBy(r => r.StartTime ?? long.MaxValue).ThenBy(r => r.RunId, StringComparer.Ordinal).First();
            long wait = (earliest.StartTime ?? 0) + settle - DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
            if (wait > 0 && round < 40)
            {
                await settings.Delay(TimeSpan.FromMilliseconds(Math.Min(wait, settle) + 10), ct);
                continue;
            }
            if (mine is not null && mine.RunId != earliest.RunId)
            {
                // Another process's candidate came first: ours goes, so searches show one parent.
                await client.DeleteRunAsync(mine.RunId, ct);
                reporter.Verbose($"Sweep {sweepId}: run {earliest.RunId} is the parent; deleted this process's duplicate candidate {mine.RunId}.");
            }
            reporter.Verbose(string.Create(CultureInfo.InvariantCulture, $"Sweep {sweepId}: parent run {earliest.RunId} on {settings.ServerDisplay}."));
            return earliest.RunId;
        }
    }
}
