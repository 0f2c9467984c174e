namespace MnistCnn.Core.Diagnostics;

/// <summary>One progress update of a long operation (an epoch's batches, a download).</summary>
/// <param name="Activity">What is going on, e.g. "Training".</param>
/// <param name="Status">Where it is, e.g. "Epoch 2/5, batch 300/938, loss 0.0712".</param>
/// <param name="Percent">0..100, or -1 when unknown.</param>
/// <param name="Id">Progress bar id; nested operations use different ids.</param>
/// <param name="Completed">True once the operation has finished.</param>
/// <param name="ParentId">Id of the enclosing progress bar, or -1.</param>
/// <param name="SecondsRemaining">Estimated seconds until the operation ends, or -1 when unknown.</param>
public sealed record ProgressInfo(string Activity, string Status, int Percent, int Id = 1, bool Completed = false, int ParentId = -1, int SecondsRemaining = -1);

/// <summary>
/// How Core talks back to whoever drives it (cmdlets, MSBuild, tests) without knowing PowerShell. Implementations
/// must be thread-safe: training and tracking call it from worker threads.
/// </summary>
public interface IReporter
{
    void Progress(ProgressInfo progress);
    void Warning(string message);
    void Verbose(string message);

    /// <summary>
    /// A line meant for the user's screen that is neither a warning nor a diagnostic, such as a worker process's epoch
    /// line (PowerShell's information stream). Reporters without such a channel show it as verbose.
    /// </summary>
    void Information(string message) => Verbose(message);
}

/// <summary>Drops everything; for callers that want no feedback.</summary>
public sealed class NullReporter : IReporter
{
    public static readonly NullReporter Instance = new();

    public void Progress(ProgressInfo progress) { }
    public void Warning(string message) { }
    public void Verbose(string message) { }
}
