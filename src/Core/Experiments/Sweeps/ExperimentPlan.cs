using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using MnistCnn.Core.Experiments.Spec;

namespace MnistCnn.Core.Experiments.Sweeps;

/// <summary>
/// One trial of an experiment: a stable index, an id and name derived from the settings it varies, the fully
/// resolved spec (extends and sweep applied) as typed options and as YAML, and a hash of that YAML.
/// </summary>
public sealed class ExperimentTrial
{
    internal ExperimentTrial(int index, int count, string id, string name, IReadOnlyDictionary<string, object?> settings, ExperimentSpec spec, string resolvedYaml)
    {
        Index = index;
        Count = count;
        Id = id;
        Name = name;
        Settings = settings;
        Spec = spec;
        ResolvedYaml = resolvedYaml;
        SpecHash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(resolvedYaml)));
    }

    public int Index { get; }
    /// <summary>How many trials the plan has.</summary>
    public int Count { get; }
    /// <summary>Folder-safe id from the swept settings, e.g. <c>optimizer-adam_learningRate-0.001</c>; <c>run</c> without a sweep.</summary>
    public string Id { get; }
    /// <summary>Readable settings, e.g. <c>optimizer=adam learningRate=0.001</c>.</summary>
    public string Name { get; }
    /// <summary>The swept settings: dotted path to value (long, double, bool or string), in the sweep's order.</summary>
    public IReadOnlyDictionary<string, object?> Settings { get; }
    public ExperimentSpec Spec { get; }
    /// <summary>The resolved spec as YAML (what the run folder's spec.yaml holds, without its comment header).</summary>
    public string ResolvedYaml { get; }
    /// <summary>Lower-case hex SHA-256 of <see cref="ResolvedYaml"/>.</summary>
    public string SpecHash { get; }
    /// <summary>The run folder: outputs root / spec name / trial id.</summary>
    public string OutputPath => System.IO.Path.Combine(Spec.Outputs.Root, Spec.Name, Id);

    public override string ToString() => Settings.Count == 0 ? $"[{Index}] {Spec.Name}" : $"[{Index}] {Spec.Name}: {Name}";
}

/// <summary>
/// A loaded, validated experiment spec: its extends chain, and every trial it expands to. <see cref="Load"/> throws
/// <see cref="SpecValidationException"/> listing every problem; <see cref="Check"/> returns them instead.
/// </summary>
public sealed partial class ExperimentPlan
{
    private ExperimentPlan(string specPath, IReadOnlyList<string> files, string? method, IReadOnlyList<ExperimentTrial> trials, string? sweepId = null)
    {
        SpecPath = specPath;
        Files = files;
        Method = method;
        Trials = trials;
        this.sweepId = sweepId;
    }

    private readonly string? sweepId;

    /// <summary>
    /// The plan of a worker process: the one resolved trial its parent gave it (a <c>TrialFile</c>, in Running), with the
    /// experiment's spec path, files, method and sweep id, so the trial's records and parent run are those of the whole
    /// experiment. <see cref="IsPart"/> is true: summary.json and the sweep's end are left to the parent.
    /// </summary>
    internal static ExperimentPlan PartOf(string specPath, IReadOnlyList<string> files, string? method, string sweepId, ExperimentTrial trial) =>
        new(specPath, files, method, new[] { trial }, sweepId);

    /// <summary>
    /// True for a worker's plan: it holds one trial of a larger experiment (at <see cref="Trials"/>[0], keeping its own
    /// index and count). Its process does not write summary.json or end the sweep; the parent that started it does.
    /// </summary>
    public bool IsPart => sweepId is not null;

    /// <summary>A trial of an experiment made from its resolved YAML (a worker's trial, read from its trial file).</summary>
    internal static ExperimentTrial Trial(int index, int count, string id, string name, IReadOnlyDictionary<string, object?> settings, ExperimentSpec spec, string resolvedYaml) =>
        new(index, count, id, name, settings, spec, resolvedYaml);

    public string SpecPath { get; }
    /// <summary>The spec file first, then every file it extends (directly or not).</summary>
    public IReadOnlyList<string> Files { get; }
    /// <summary>grid or random; null when the spec has no sweep.</summary>
    public string? Method { get; }
    public bool IsSweep => Method is not null;
    public IReadOnlyList<ExperimentTrial> Trials { get; }
    public string Name => Trials[0].Spec.Name;
    public string? Description => Trials[0].Spec.Description;
    /// <summary>The folder holding every trial's run folder: outputs root / spec name.</summary>
    public string OutputPath => Path.Combine(Trials[0].Spec.Outputs.Root, Name);

    private Tracking.OfflineNotice? offline;

    /// <summary>One "server unreachable" warning for this sweep's runs in this process (see <see cref="Tracking.OfflineNotice"/>).</summary>
    internal Tracking.OfflineNotice Offline => LazyInitializer.EnsureInitialized(ref offline, () => new Tracking.OfflineNotice($"sweep '{Name}'", OutputPath));

    /// <summary>
    /// The sweep's id: 16 hex digits of the SHA-256 of the name and every trial's resolved-spec hash, so every process
    /// that loads the same spec, on any machine, gets the same id, and a changed spec gets a new one.
    /// </summary>
    public string SweepId => sweepId ?? Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(
        Name + "\n" + string.Join("\n", Trials.Select(t => t.SpecHash)))))[..16];

    public static ExperimentPlan Load(string path)
    {
        var plan = Check(path, out var diagnostics, out _);
        if (plan is null) throw new SpecValidationException(Path.GetFullPath(path), diagnostics);
        return plan;
    }

    /// <summary>Loads and validates; returns null and every problem when the spec cannot run. <paramref name="files"/> lists the files read.</summary>
    public static ExperimentPlan? Check(string path, out IReadOnlyList<SpecDiagnostic> diagnostics, out IReadOnlyList<string> files)
    {
        string full = Path.GetFullPath(path);
        var found = new List<SpecDiagnostic>();
        var loaded = SpecLoader.Load(full, found);
        files = loaded?.Files ?? new[] { full };
        if (loaded is null)
        {
            diagnostics = found;
            return null;
        }

        var baseTree = (SpecMapping)loaded.Root.Clone();
        var sweep = baseTree["sweep"];
        baseTree.Remove("sweep");
        string? method = null;
        List<List<TrialOverride>> expansions;
        if (sweep is null || sweep is SpecScalar { IsNull: true })
        {
            expansions = new() { new List<TrialOverride>() };
        }
        else
        {
            method = SweepExpander.Method(sweep);
            var expanded = SweepExpander.Expand(sweep, found);
            if (expanded is null)
            {
                // Still check the rest of the spec so every problem is listed at once.
                new SpecBinder(full, found).Bind((SpecMapping)baseTree.Clone());
                diagnostics = Distinct(found);
                return null;
            }
            expansions = expanded;
        }

        var trials = new List<ExperimentTrial>();
        var perTrial = new List<(int Trial, SpecDiagnostic Diagnostic)>();
        var ids = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < expansions.Count; i++)
        {
            var tree = (SpecMapping)baseTree.Clone();
            var trialProblems = new List<SpecDiagnostic>();
            foreach (var o in expansions[i]) Apply(tree, o, trialProblems);
            var spec = trialProblems.Count == 0 ? new SpecBinder(full, trialProblems).Bind(tree) : null;
            perTrial.AddRange(trialProblems.Select(d => (i, d)));
            if (spec is null) continue;

            var settings = new Dictionary<string, object?>(StringComparer.Ordinal);
            foreach (var o in expansions[i]) settings[o.Path] = o.Value.Typed();
            string id = TrialId(expansions[i]);
            if (!ids.Add(id)) { id = string.Create(CultureInfo.InvariantCulture, $"{id}-{i}"); ids.Add(id); }
            string name = string.Join(" ", expansions[i].Select(o => $"{ShortName(o.Path, expansions[i])}={o.Value.Value}"));
            trials.Add(new ExperimentTrial(i, expansions.Count, id, name, settings, spec, Resolve(tree, spec)));
        }

        if (perTrial.Count > 0)
        {
            // A problem every trial shares is listed once; one only some trials have names the first of them.
            var all = new List<SpecDiagnostic>(found);
            foreach (var group in perTrial.GroupBy(p => p.Diagnostic))
            {
                int trialsWithIt = group.Select(g => g.Trial).Distinct().Count();
                var d = group.Key;
                if (trialsWithIt < expansions.Count)
                {
                    int first = group.First().Trial;
                    d = d with { Message = d.Message + string.Create(CultureInfo.InvariantCulture, $" (in trial {first}: {string.Join(" ", expansions[first].Select(o => $"{o.Path}={o.Value.Value}"))})") };
                }
                all.Add(d);
            }
            diagnostics = Distinct(all);
            return null;
        }
        if (found.Count > 0)
        {
            diagnostics = Distinct(found);
            return null;
        }
        diagnostics = Array.Empty<SpecDiagnostic>();
        return new ExperimentPlan(full, loaded.Files, method, trials);
    }

    private static List<SpecDiagnostic> Distinct(List<SpecDiagnostic> list) =>
        list.Distinct().OrderBy(d => d.File, StringComparer.Ordinal).ThenBy(d => d.Line).ThenBy(d => d.Column).ToList();

    /// <summary>Sets one swept value in a spec tree, creating mappings on the way; list items are addressed by index.</summary>
    private static void Apply(SpecMapping tree, TrialOverride o, List<SpecDiagnostic> problems)
    {
        string[] parts = o.Path.Split('.');
        SpecNode current = tree;
        for (int p = 0; p < parts.Length; p++)
        {
            bool last = p == parts.Length - 1;
            string part = parts[p];
            var keyNode = new SpecScalar(part, false, o.KeyLocation);
            switch (current)
            {
                case SpecMapping m:
                    if (last) { m.Set(m.KeyNode(part) ?? keyNode, o.Value); return; }
                    var next = m[part];
                    if (next is null || next is SpecScalar)
                    {
                        if (parts[p + 1].All(char.IsDigit))
                        {
                            problems.Add(new SpecDiagnostic(o.KeyLocation.File, o.KeyLocation.Line, o.KeyLocation.Column, SpecCodes.SweepInvalid,
                                $"sweep parameter '{o.Path}' points into '{string.Join('.', parts.Take(p + 1))}', which is not a list here (a preset has no layer list; list the layers in model.layers)."));
                            return;
                        }
                        next = new SpecMapping(o.KeyLocation);
                        m.Set(m.KeyNode(part) ?? keyNode, next);
                    }
                    current = next;
                    break;
                case SpecSequence s:
                    if (!int.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out int index) || index >= s.Items.Count)
                    {
                        problems.Add(new SpecDiagnostic(o.KeyLocation.File, o.KeyLocation.Line, o.KeyLocation.Column, SpecCodes.SweepInvalid,
                            string.Create(CultureInfo.InvariantCulture, $"sweep parameter '{o.Path}': '{string.Join('.', parts.Take(p))}' has {s.Items.Count} items, so '{part}' is not one of them (items count from 0).")));
                        return;
                    }
                    if (last) { s.Items[index] = o.Value; return; }
                    current = s.Items[index];
                    break;
                default:
                    problems.Add(new SpecDiagnostic(o.KeyLocation.File, o.KeyLocation.Line, o.KeyLocation.Column, SpecCodes.SweepInvalid,
                        $"sweep parameter '{o.Path}' goes through '{string.Join('.', parts.Take(p))}', which is a single value, not a mapping or list."));
                    return;
            }
        }
    }

    [GeneratedRegex("[^A-Za-z0-9.+-]+")]
    private static partial Regex Unsafe();

    private static string ShortName(string path, List<TrialOverride> all)
    {
        string[] parts = path.Split('.');
        string leaf = parts[^1];
        if (parts.Length >= 4 && parts[0] == "model" && parts[1] == "layers") leaf = $"layer{parts[2]}.{leaf}";
        bool clash = all.Count(o => o.Path.Split('.')[^1] == parts[^1]) > 1;
        return clash && !leaf.StartsWith("layer", StringComparison.Ordinal) ? path : leaf;
    }

    private static string TrialId(List<TrialOverride> overrides)
    {
        if (overrides.Count == 0) return "run";
        string id = string.Join("_", overrides.Select(o => Unsafe().Replace(ShortName(o.Path, overrides), "-") + "-" + Unsafe().Replace(o.Value.Value, "-")));
        if (id.Length <= 80) return id;
        string hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(id)))[..8];
        return id[..71] + "-" + hash;
    }

    /// <summary>The resolved YAML of a trial: name set, paths absolute.</summary>
    private static string Resolve(SpecMapping tree, ExperimentSpec spec)
    {
        var copy = (SpecMapping)tree.Clone();
        var at = copy.Location;
        copy.Set(new SpecScalar("name", false, at), new SpecScalar(spec.Name, true, at));
        if (spec.Data.Path is { } dataPath && copy["data"] is SpecMapping data) data.Set(new SpecScalar("path", false, at), new SpecScalar(dataPath, true, at));
        var outputs = copy["outputs"] as SpecMapping ?? new SpecMapping(at);
        outputs.Set(new SpecScalar("root", false, at), new SpecScalar(spec.Outputs.Root, true, at));
        copy.Set(new SpecScalar("outputs", false, at), outputs);
        // name first, then the rest in the order written.
        var nameEntry = copy.Entries.First(e => e.Key.Value == "name");
        copy.Entries.Remove(nameEntry);
        copy.Entries.Insert(0, nameEntry);
        return SpecYaml.Write(copy);
    }
}
