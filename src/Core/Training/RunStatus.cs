namespace MnistCnn.Core.Training;

/// <summary>How a run ended.</summary>
public enum RunStatus
{
    Running,
    Finished,
    Failed,
    Killed,
}
