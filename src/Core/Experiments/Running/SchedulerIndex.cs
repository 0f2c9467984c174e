using System.Globalization;
using MnistCnn.Core.Diagnostics;

namespace MnistCnn.Core.Experiments.Running;

/// <summary>
/// Finds which trial this process should run from the array-job index a scheduler sets, so a sweep fans out across
/// machines with no coordinator. Looked up in this order (first set wins):
/// <c>MNISTCNN_TRIAL_INDEX</c> (CI matrices, by hand), <c>JOB_COMPLETION_INDEX</c> (Kubernetes indexed Jobs),
/// <c>SLURM_ARRAY_TASK_ID</c> minus <c>SLURM_ARRAY_TASK_MIN</c> (Slurm arrays), <c>AWS_BATCH_JOB_ARRAY_INDEX</c>,
/// <c>SGE_TASK_ID</c> minus <c>SGE_TASK_FIRST</c> (Grid Engine). The result is 0-based.
/// </summary>
public static class SchedulerIndex
{
    public const string TrialIndexVariable = "MNISTCNN_TRIAL_INDEX";

    /// <param name="Index">The 0-based trial index.</param>
    /// <param name="Source">The variable it came from.</param>
    /// <param name="Expression">How the index was worked out, e.g. SLURM_ARRAY_TASK_ID=7 - SLURM_ARRAY_TASK_MIN=0.</param>
    public sealed record Found(int Index, string Source, string? Expression = null)
    {
        /// <summary>Where the index came from, for messages.</summary>
        public string Describe => Expression ?? Source;
    }

    public static Found? FromEnvironment(Func<string, string?>? environment = null)
    {
        var env = environment ?? Environment.GetEnvironmentVariable;
        string? Get(string name) => env(name) is { Length: > 0 } v ? v.Trim() : null;

        if (Get(TrialIndexVariable) is { } own) return new Found(Parse(own, TrialIndexVariable), TrialIndexVariable, $"{TrialIndexVariable}={own}");
        if (Get("JOB_COMPLETION_INDEX") is { } k8s) return new Found(Parse(k8s, "JOB_COMPLETION_INDEX"), "JOB_COMPLETION_INDEX", $"JOB_COMPLETION_INDEX={k8s}");
        if (Get("SLURM_ARRAY_TASK_ID") is { } slurm)
        {
            string? m = Get("SLURM_ARRAY_TASK_MIN");
            int min = m is not null ? Parse(m, "SLURM_ARRAY_TASK_MIN") : 0;
            return new Found(Check(Parse(slurm, "SLURM_ARRAY_TASK_ID") - min, "SLURM_ARRAY_TASK_ID - SLURM_ARRAY_TASK_MIN"), "SLURM_ARRAY_TASK_ID",
                m is null ? $"SLURM_ARRAY_TASK_ID={slurm}" : $"SLURM_ARRAY_TASK_ID={slurm} - SLURM_ARRAY_TASK_MIN={m}");
        }
        if (Get("AWS_BATCH_JOB_ARRAY_INDEX") is { } aws) return new Found(Parse(aws, "AWS_BATCH_JOB_ARRAY_INDEX"), "AWS_BATCH_JOB_ARRAY_INDEX", $"AWS_BATCH_JOB_ARRAY_INDEX={aws}");
        if (Get("SGE_TASK_ID") is { } sge && sge != "undefined")
        {
            string? f = Get("SGE_TASK_FIRST") is { } ff && ff != "undefined" ? ff : null;
            int first = f is not null ? Parse(f, "SGE_TASK_FIRST") : 1;
            return new Found(Check(Parse(sge, "SGE_TASK_ID") - first, "SGE_TASK_ID - SGE_TASK_FIRST"), "SGE_TASK_ID",
                $"SGE_TASK_ID={sge} - SGE_TASK_FIRST={first.ToString(CultureInfo.InvariantCulture)}");
        }
        return null;
    }

    private static int Parse(string text, string name) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int v) ? v
            : throw new MnistCnnException(ExperimentsErrorIds.SchedulerIndexInvalid, ErrorKind.InvalidArgument,
                $"The environment variable {name} is '{text}', not a whole number 0 or above, so it cannot pick a trial.", name);

    private static int Check(int value, string what) => value >= 0 ? value
        : throw new MnistCnnException(ExperimentsErrorIds.SchedulerIndexInvalid, ErrorKind.InvalidArgument,
            string.Create(CultureInfo.InvariantCulture, $"{what} is {value}; trial indexes start at 0."), what);
}
