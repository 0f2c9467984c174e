using System.Diagnostics;
using System.Text.RegularExpressions;
using MnistCnn.Core.Experiments.Sweeps;
using YamlDotNet.RepresentationModel;

namespace MnistCnn.Integration.Tests.Experiments;

/// <summary>
/// The copyable automation in examples/ (GitHub Actions, Kubernetes, Azure Pipelines, Slurm, systemd): each file parses,
/// calls scripts/Invoke-CnnSweep.ps1 with options the script has and a spec that exists and is valid, and asks for as
/// many trial indexes as that spec has trials.
/// </summary>
public sealed partial class AutomationExamplesTests
{
    private static readonly string Repo = SpecFiles.RepoRoot();
    private const string Script = "scripts/Invoke-CnnSweep.ps1";

    public static TheoryData<string> Files() =>
    [
        "examples/github-actions/optimizer-sweep.yml",
        "examples/kubernetes/optimizer-sweep-job.yaml",
        "examples/azure-pipelines/optimizer-sweep.yml",
        "examples/slurm/sweep.sbatch",
        "examples/systemd/mnistcnn-train.service",
    ];

    /// <summary>The script's parameters, from its param() block.</summary>
    private static HashSet<string> ScriptParameters()
    {
        string text = File.ReadAllText(Path.Combine(Repo, Script));
        int start = text.IndexOf("param(", StringComparison.Ordinal);
        Assert.True(start >= 0, "no param() block in " + Script);
        string block = text[start..text.IndexOf("\n)", start, StringComparison.Ordinal)];
        var names = ParameterName().Matches(block).Select(m => m.Groups[1].Value).ToHashSet(StringComparer.OrdinalIgnoreCase);
        Assert.Contains("TrialIndex", names);
        return names;
    }

    /// <summary>Every call of the script: the words after it up to the end of the command.</summary>
    private static List<List<string>> Calls(string text)
    {
        // Comments only describe; Kubernetes writes the command as a YAML list: join it into one line.
        string code = string.Join("\n", text.Split('\n').Where(l => !l.TrimStart().StartsWith('#')));
        string flat = Regex.Replace(code, @"\n\s*-\s+", " ", RegexOptions.None, TimeSpan.FromSeconds(1));
        // A shell variable with a default (spec="${1:-experiments/x.yaml}") stands for that default.
        foreach (Match v in ShellDefault().Matches(code)) flat = flat.Replace("\"$" + v.Groups[1].Value + "\"", v.Groups[2].Value, StringComparison.Ordinal);
        var calls = new List<List<string>>();
        foreach (Match m in ScriptCall().Matches(flat))
        {
            var words = m.Groups[1].Value.Split(' ', StringSplitOptions.RemoveEmptyEntries)
                .Select(w => w.Trim('"', '\'', ','))
                .TakeWhile(w => !w.StartsWith('#') && w is not ("env:" or "displayName:" or "resources:" or "workingDir:"))
                .Where(w => w.Length > 0)
                .ToList();
            calls.Add(words);
        }
        return calls;
    }

    private static string RepoPath(string path) => Path.Combine(Repo, Regex.Replace(path, "^/opt/mnistcnn/", "", RegexOptions.None, TimeSpan.FromSeconds(1)));

    [Theory]
    [MemberData(nameof(Files))]
    public void CallsTheSweepScriptWithItsOptionsAndAValidSpec(string file)
    {
        string text = File.ReadAllText(Path.Combine(Repo, file));
        var calls = Calls(text);
        Assert.True(calls.Count > 0, $"{file} does not call {Script}");
        Assert.True(File.Exists(Path.Combine(Repo, Script)));
        var parameters = ScriptParameters();
        foreach (var words in calls)
        {
            string spec = Assert.Single(words, w => w.EndsWith(".yaml", StringComparison.Ordinal));
            Assert.True(File.Exists(RepoPath(spec)), $"{file}: the spec {spec} does not exist");
            Assert.NotNull(ExperimentPlan.Check(RepoPath(spec), out var problems, out _));
            Assert.Empty(problems);
            foreach (var option in words.Where(w => w.StartsWith('-') && w.Length > 1 && char.IsLetter(w[1])))
            {
                Assert.True(parameters.Contains(option[1..]), $"{file}: {Script} has no parameter {option}");
            }
        }
    }

    [Theory]
    [InlineData("examples/github-actions/optimizer-sweep.yml")]
    [InlineData("examples/kubernetes/optimizer-sweep-job.yaml")]
    [InlineData("examples/azure-pipelines/optimizer-sweep.yml")]
    public void YamlParses_AndAsksForOneJobPerTrial(string file)
    {
        var yaml = new YamlStream();
        using (var reader = new StreamReader(Path.Combine(Repo, file))) yaml.Load(reader);
        var root = (YamlMappingNode)yaml.Documents.Single().RootNode;
        int trials = ExperimentPlan.Load(Path.Combine(Repo, "experiments/optimizer-sweep.yaml")).Trials.Count;
        YamlNode At(YamlNode node, params string[] keys) => keys.Aggregate(node, (n, k) => ((YamlMappingNode)n).Children[new YamlScalarNode(k)]);
        switch (Path.GetFileName(Path.GetDirectoryName(file)))
        {
            case "github-actions":
                var matrix = (YamlSequenceNode)At(root, "jobs", "trial", "strategy", "matrix", "trial");
                Assert.Equal(Enumerable.Range(0, trials).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)), matrix.Children.Select(c => ((YamlScalarNode)c).Value));
                break;
            case "kubernetes":
                Assert.Equal("Indexed", ((YamlScalarNode)At(root, "spec", "completionMode")).Value);
                Assert.Equal(trials.ToString(System.Globalization.CultureInfo.InvariantCulture), ((YamlScalarNode)At(root, "spec", "completions")).Value);
                break;
            default:
                var entries = ((YamlMappingNode)At(((YamlSequenceNode)At(root, "jobs")).Children[0], "strategy", "matrix")).Children;
                Assert.Equal(Enumerable.Range(0, trials).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)),
                    entries.Select(e => ((YamlScalarNode)At(e.Value, "trialIndex")).Value));
                break;
        }
    }

    [Fact]
    public void SlurmBatchScript_IsValidBash_WithOneArrayTaskPerTrial()
    {
        string file = Path.Combine(Repo, "examples/slurm/sweep.sbatch");
        var info = new ProcessStartInfo("bash", ["-n", file]) { RedirectStandardError = true };
        using var bash = Process.Start(info)!;
        string errors = bash.StandardError.ReadToEnd();
        bash.WaitForExit();
        Assert.True(bash.ExitCode == 0, errors);
        var array = SbatchArray().Match(File.ReadAllText(file));
        Assert.True(array.Success, "no #SBATCH --array line");
        int trials = ExperimentPlan.Load(Path.Combine(Repo, "experiments/optimizer-sweep.yaml")).Trials.Count;
        Assert.Equal((0, trials - 1), (int.Parse(array.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture), int.Parse(array.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture)));
    }

    [Theory]
    [InlineData("examples/systemd/mnistcnn-train.service", "Unit", "Service")]
    [InlineData("examples/systemd/mnistcnn-train.timer", "Unit", "Timer", "Install")]
    public void SystemdUnits_AreSectionsOfKeyValueLines(string file, params string[] sections)
    {
        var found = new List<string>();
        foreach (var raw in File.ReadAllLines(Path.Combine(Repo, file)))
        {
            string line = raw.Trim();
            if (line.Length == 0 || line.StartsWith('#')) continue;
            if (line.StartsWith('[') && line.EndsWith(']'))
            {
                found.Add(line[1..^1]);
                continue;
            }
            Assert.True(found.Count > 0 && UnitKey().IsMatch(line), $"{file}: '{line}' is not Key=Value inside a section");
        }
        Assert.Equal(sections, found);
        if (file.EndsWith(".timer", StringComparison.Ordinal))
        {
            // The timer starts the service that sits beside it.
            Assert.Contains("Unit=mnistcnn-train.service", File.ReadAllText(Path.Combine(Repo, file)), StringComparison.Ordinal);
            Assert.True(File.Exists(Path.Combine(Repo, "examples/systemd/mnistcnn-train.service")));
        }
    }

    [GeneratedRegex(@"\[[\w\[\]]+\]\s*\$(\w+)")]
    private static partial Regex ParameterName();

    [GeneratedRegex(@"(?:/opt/mnistcnn/)?scripts/Invoke-CnnSweep\.ps1[""']?,?([^\n]*)")]
    private static partial Regex ScriptCall();

    [GeneratedRegex(@"(\w+)=""\$\{\d+:-([^}]+)\}""")]
    private static partial Regex ShellDefault();

    [GeneratedRegex(@"#SBATCH --array=(\d+)-(\d+)")]
    private static partial Regex SbatchArray();

    [GeneratedRegex(@"^[A-Za-z][A-Za-z0-9]*=")]
    private static partial Regex UnitKey();
}
