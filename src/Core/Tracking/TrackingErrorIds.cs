using MnistCnn.Core.Diagnostics;

namespace MnistCnn.Core.Tracking;

/// <summary>
/// The stable ErrorIds (<see cref="MnistCnnException.ErrorId"/>) of the MLflow tracking area; tests and scripts match on them, so
/// never rename one. docs/error-ids.md lists every id of every area.
/// </summary>
public static class TrackingErrorIds
{
    /// <summary>Publishing or reading runs needs an MLflow server and none is given; pass -TrackingUri http://host:port or set MLFLOW_TRACKING_URI.</summary>
    [ErrorKinds(ErrorKind.InvalidArgument)]
    public const string TrackingUriMissing = nameof(TrackingUriMissing);
    /// <summary>-TrackingUri (or MLFLOW_TRACKING_URI) is not an absolute http(s) URI; give the server address, e.g. http://127.0.0.1:5000.</summary>
    [ErrorKinds(ErrorKind.InvalidArgument)]
    public const string TrackingUriInvalid = nameof(TrackingUriInvalid);
    /// <summary>The MLflow server did not answer (refused, unresolved, timed out) after the retries; start it or check the address, then publish again.</summary>
    [ErrorKinds(ErrorKind.ConnectionError)]
    public const string MlflowUnreachable = nameof(MlflowUnreachable);
    /// <summary>The MLflow server refused the credentials (401) or the user (403); set MLFLOW_TRACKING_TOKEN, or MLFLOW_TRACKING_USERNAME and MLFLOW_TRACKING_PASSWORD, or ask for permission.</summary>
    [ErrorKinds(ErrorKind.SecurityError)]
    public const string MlflowAuthenticationFailed = nameof(MlflowAuthenticationFailed);
    /// <summary>The MLflow server answered 404 (no such run, experiment or API); check the URI points at an MLflow 2.x server and the run exists.</summary>
    [ErrorKinds(ErrorKind.ObjectNotFound)]
    public const string MlflowNotFound = nameof(MlflowNotFound);
    /// <summary>The MLflow server kept answering 429 (too many requests) after the retries; try again later or raise the retry settings.</summary>
    [ErrorKinds(ErrorKind.ResourceUnavailable)]
    public const string MlflowThrottled = nameof(MlflowThrottled);
    /// <summary>The MLflow server kept failing with 5xx after the retries; check the server, then publish again (the journal keeps what was not sent).</summary>
    [ErrorKinds(ErrorKind.ResourceUnavailable)]
    public const string MlflowServerError = nameof(MlflowServerError);
    /// <summary>The MLflow server rejected a request (4xx other than 401/403/404/429); the message carries its reason.</summary>
    [ErrorKinds(ErrorKind.InvalidData)]
    public const string MlflowRequestRejected = nameof(MlflowRequestRejected);
    /// <summary>The server answered with something that is not the MLflow API answer expected; check the URI is an MLflow tracking server.</summary>
    [ErrorKinds(ErrorKind.InvalidData)]
    public const string MlflowAnswerInvalid = nameof(MlflowAnswerInvalid);
    /// <summary>A sweep's parent run vanished from the server while it was being chosen (deleted by someone?); run the sweep again.</summary>
    [ErrorKinds(ErrorKind.InvalidOperation)]
    public const string MlflowSweepParentLost = nameof(MlflowSweepParentLost);
    /// <summary>An MlflowApiException made without an id (its plain constructors); no toolkit code raises it, so report it as a bug.</summary>
    [ErrorKinds(ErrorKind.InvalidOperation)]
    public const string MlflowRequestFailed = nameof(MlflowRequestFailed);
    /// <summary>Get-CnnRun -Experiment names an experiment the server does not have; check the (case-sensitive) name in the MLflow UI.</summary>
    [ErrorKinds(ErrorKind.ObjectNotFound)]
    public const string ExperimentNotFound = nameof(ExperimentNotFound);
    /// <summary>The MLflow server has no run with the given id; check the id (Get-CnnRun lists them).</summary>
    [ErrorKinds(ErrorKind.ObjectNotFound)]
    public const string RunNotFound = nameof(RunNotFound);
    /// <summary>Publish-CnnRun -Path names a folder that does not exist; pass a run folder (or a folder of run folders).</summary>
    [ErrorKinds(ErrorKind.ObjectNotFound)]
    public const string RunFolderNotFound = nameof(RunFolderNotFound);
    /// <summary>A folder given to Publish-CnnRun has no run journal (journal.jsonl); pass a MnistCnn run folder trained with an output folder.</summary>
    [ErrorKinds(ErrorKind.ObjectNotFound)]
    public const string RunJournalNotFound = nameof(RunJournalNotFound);
    /// <summary>A run journal has no run event, so it was not written by MnistCnn; pass a run folder MnistCnn wrote.</summary>
    [ErrorKinds(ErrorKind.InvalidData)]
    public const string JournalInvalid = nameof(JournalInvalid);
    /// <summary>The run journal cannot be opened for writing (the run is still going, or another Publish-CnnRun holds it); wait for it to finish.</summary>
    [ErrorKinds(ErrorKind.ResourceUnavailable)]
    public const string JournalInUse = nameof(JournalInUse);
}
