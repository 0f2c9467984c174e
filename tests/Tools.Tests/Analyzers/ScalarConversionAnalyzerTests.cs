using System.Collections.Immutable;
using System.Xml.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;
using MnistCnn.Analyzers;

namespace MnistCnn.Tools.Tests.Analyzers;

/// <summary>
/// MNC0001 on snippets compiled against the real TorchSharp assembly: numbers that become Scalars through
/// TorchSharp's conversion operators are reported where they are written; owned scalars, tensors and plain numbers
/// passed to number parameters are not.
/// </summary>
public sealed class ScalarConversionAnalyzerTests
{
    private static ImmutableArray<Diagnostic> Analyze(string body, bool withTorchSharp = true)
    {
        string source = $$"""
            using TorchSharp;
            using static TorchSharp.torch;
            public static class Snippet
            {
                public static void Run(Tensor t, Tensor u, double x, long n)
                {
            {{body}}
                }
            }
            """;
        if (!withTorchSharp) source = $$"""
            public static class Snippet
            {
                public static void Run(double x) { {{body}} }
            }
            """;
        var references = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator)
            .Select(p => MetadataReference.CreateFromFile(p)).ToList();
        if (withTorchSharp) references.Add(MetadataReference.CreateFromFile(typeof(TorchSharp.Scalar).Assembly.Location));
        var compilation = CSharpCompilation.Create("Snippet", [CSharpSyntaxTree.ParseText(source, path: "Snippet.cs")], references,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary));
        // The snippet must compile, or an empty result would say nothing.
        Assert.Empty(compilation.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error));
        return compilation.WithAnalyzers([new ScalarConversionAnalyzer()]).GetAnalyzerDiagnosticsAsync().Result;
    }

    private static string Flagged(Diagnostic d) => d.Location.SourceTree!.GetText().ToString(d.Location.SourceSpan);

    [Fact]
    public void ImplicitConversionOfANumberIsReportedWhereItIsWritten()
    {
        var diagnostics = Analyze("        t.mul_(0.5).sub_(x * 2);");
        Assert.Equal(["0.5", "x * 2"], diagnostics.Select(Flagged));
        Assert.All(diagnostics, d =>
        {
            Assert.Equal(ScalarConversionAnalyzer.DiagnosticId, d.Id);
            Assert.Equal(DiagnosticSeverity.Error, d.Severity);
            Assert.Contains("only the finalizer frees", d.GetMessage(), StringComparison.Ordinal);
        });
    }

    [Fact]
    public void ExplicitCastsAndScalarParametersOfFactoriesAreReported()
    {
        var diagnostics = Analyze("""
                    var s = (Scalar)x;
                    using var r = arange(n, n, n);
                    using var m = t.addcmul(u, u, 0.25f);
            """);
        Assert.Equal(["x", "n", "n", "n", "0.25f"], diagnostics.Select(Flagged));
    }

    [Fact]
    public void OwnedScalarsTensorsAndNumberParametersAreNotReported()
    {
        var diagnostics = Analyze("""
                    using var half = 0.5.ToScalar();
                    using var count = n.ToScalar();
                    t.mul_(half).add_(u, half);
                    using var r = arange(half, count, half);
                    using var p = randperm(n);
                    using var c = t.clamp(half, count);
                    t.uniform_(-x, x);
            """);
        Assert.Empty(diagnostics);
    }

    [Fact]
    public void OverloadsThatFillAScalarThemselvesAreReportedWithTheCallToMakeInstead()
    {
        var diagnostics = Analyze("""
                    t.add_(u);
                    using var a = t.add(u);
                    t.addcdiv_(t, u);
                    using var s = t.square();
                    using var b = add(t, u);
            """);
        Assert.Equal(["t.add_(u)", "t.add(u)", "t.addcdiv_(t, u)", "t.square()", "add(t, u)"], diagnostics.Select(Flagged));
        Assert.All(diagnostics, d => Assert.Equal((ScalarConversionAnalyzer.FilledScalarId, DiagnosticSeverity.Error), (d.Id, d.Severity)));
        Assert.Contains("call add_(x, one) with an owned 'one'", diagnostics[0].GetMessage(), StringComparison.Ordinal);
    }

    [Fact]
    public void TheFullOverloadsWithOwnedScalarsAreNotReported()
    {
        var diagnostics = Analyze("""
                    using var one = 1.0.ToScalar();
                    t.add_(u, one);
                    using var a = t.add(u, one);
                    t.addcdiv_(t, u, one);
                    using var m = t.mul(t);
                    t.sub_(u);
            """);
        Assert.Empty(diagnostics);
    }

    [Fact]
    public void TensorOperatorsThatMakeAScalarThemselvesAreReported()
    {
        var diagnostics = Analyze("""
                    using var half = 0.5.ToScalar();
                    using var a = t + u;
                    using var b = t * 0.5;
                    using var c = 1 - t;
                    using var d = half - t;
                    using var e = t / n;
                    using var f = 2.0 / t;
                    using var g = t % 2;
                    using var h = t + half;
                    var k = t.alias();
                    k += u;
                    k *= x;
            """);
        Assert.Equal(["t + u", "t * 0.5", "1 - t", "half - t", "t / n", "2.0 / t", "t % 2", "t + half", "k += u", "k *= x"], diagnostics.Select(Flagged));
        Assert.All(diagnostics, d => Assert.Equal((ScalarConversionAnalyzer.OperatorId, DiagnosticSeverity.Error), (d.Id, d.Severity)));
        Assert.Equal("TorchSharp's Tensor operator '+' fills an alpha of 1, a Scalar that only the finalizer frees; call t.add(u, one) with an owned 'one' (1.ToScalar())",
            diagnostics[0].GetMessage());
        Assert.Equal("TorchSharp's Tensor operator '*' converts '0.5', a Scalar that only the finalizer frees; call t.mul(s); own s as 'using var s = (0.5).ToScalar();'",
            diagnostics[1].GetMessage());
        Assert.Contains("t.neg().add(s, one)", diagnostics[2].GetMessage(), StringComparison.Ordinal);
        Assert.Contains("t.reciprocal().mul(s)", diagnostics[5].GetMessage(), StringComparison.Ordinal);
    }

    [Fact]
    public void TensorOperatorsThatTakeNoScalarAreNotReported()
    {
        var diagnostics = Analyze("""
                    using var half = 0.5.ToScalar();
                    using var a = t - u;
                    using var b = t * u;
                    using var c = t / u;
                    using var d = t * half;
                    using var e = t - half;
                    using var f = half / t;
                    using var g = t % u;
                    var k = t.alias();
                    k -= u;
                    k *= half;
                    var y = x * 2 + n;
            """);
        Assert.Empty(diagnostics);
    }

    [Fact]
    public void TorchSharpApisThatMakeUnownedScalarsInsideAreReportedWithOurReplacement()
    {
        var diagnostics = Analyze("""
                    using var bn = nn.BatchNorm2d(4);
                    using var flat = nn.BatchNorm1d(4);
                    using var elu = nn.ELU();
                    using var leaky = nn.LeakyReLU(0.3);
                    using var a = nn.functional.elu(t, 1.0);
                    using var b = nn.functional.leaky_relu(t, 0.3);
                    using var c = t.elu(1.0);
                    using var opt = optim.RMSProp(new[] { new TorchSharp.Modules.Parameter(t) }, 0.001);
                    using var sgd = optim.SGD(new[] { new TorchSharp.Modules.Parameter(t) }, 0.01);
                    using var r = arange(u.shape[0].ToScalar());
            """);
        Assert.Equal(["nn.BatchNorm2d(4)", "nn.BatchNorm1d(4)", "nn.ELU()", "nn.LeakyReLU(0.3)", "nn.functional.elu(t, 1.0)", "nn.functional.leaky_relu(t, 0.3)",
            "t.elu(1.0)", "optim.RMSProp(new[] { new TorchSharp.Modules.Parameter(t) }, 0.001)", "optim.SGD(new[] { new TorchSharp.Modules.Parameter(t) }, 0.01)",
            "arange(u.shape[0].ToScalar())"], diagnostics.Select(Flagged));
        Assert.All(diagnostics.Take(9), d => Assert.Equal((ScalarConversionAnalyzer.UnownedApiId, DiagnosticSeverity.Error), (d.Id, d.Severity)));
        Assert.Contains("use MnistCnn.Core.Models.BatchNormalization", diagnostics[0].GetMessage(), StringComparison.Ordinal);
        Assert.Contains("MnistCnn.Core.Training.Optimizers.Create", diagnostics[7].GetMessage(), StringComparison.Ordinal);
        Assert.Equal(ScalarConversionAnalyzer.FilledScalarId, diagnostics[9].Id);
        Assert.Contains("arange(start, stop, step) with owned scalars", diagnostics[9].GetMessage(), StringComparison.Ordinal);
    }

    [Fact]
    public void TheOwnedFormsOfThoseApisAreNotReported()
    {
        var diagnostics = Analyze("""
                    using var one = 1.0.ToScalar();
                    using var zero = 0.ToScalar();
                    using var slope = 0.3.ToScalar();
                    using var a = t.elu(one, one, one);
                    using var b = t.leaky_relu(slope);
                    using var c = nn.functional.batch_norm(t, null, null, training: true);
                    using var r = arange(zero, one, one);
                    using var relu = nn.ReLU();
            """);
        Assert.Empty(diagnostics);
    }

    [Fact]
    public void CodeWithoutTorchSharpIsLeftAlone()
    {
        Assert.Empty(Analyze("var y = x * 2;", withTorchSharp: false));
    }

    /// <summary>
    /// The rule only helps where the compiler runs it: every project under src/ and scripts/ references the analyzer, and
    /// so does every test project that builds on src/Core (and so calls TorchSharp): a freed scalar makes a flaky test.
    /// </summary>
    [Fact]
    public void EveryProjectThatCallsTorchSharpRunsTheAnalyzer()
    {
        var root = RepositoryRoot();
        var projects = new[] { "src", "scripts" }
            .SelectMany(folder => Directory.GetFiles(Path.Combine(root, folder), "*.csproj", SearchOption.AllDirectories)).ToList();
        Assert.True(projects.Count >= 4, $"Expected the projects of src/ and scripts/, found {projects.Count}.");
        var testProjects = Directory.GetFiles(Path.Combine(root, "tests"), "*.csproj", SearchOption.AllDirectories)
            .Where(p => Reference(p, "src/Core/Core.csproj") is not null).ToList();
        Assert.True(testProjects.Count >= 2, $"Expected Core.Tests and Integration.Tests to build on src/Core, found {testProjects.Count}.");
        foreach (var project in projects.Concat(testProjects))
        {
            var reference = Reference(project, "tools/Analyzers/Analyzers.csproj");
            Assert.True(reference is not null, $"{Path.GetRelativePath(root, project)} does not reference tools/Analyzers/Analyzers.csproj as an analyzer.");
            Assert.Equal("Analyzer", (string?)reference!.Attribute("OutputItemType"));
            Assert.Equal("false", (string?)reference.Attribute("ReferenceOutputAssembly"));
        }
    }

    private static XElement? Reference(string project, string target) => XDocument.Load(project).Descendants("ProjectReference")
        .FirstOrDefault(r => ((string?)r.Attribute("Include"))?.Replace('\\', '/').EndsWith(target, StringComparison.Ordinal) == true);

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Toolkit.sln"))) return dir.FullName;
        }
        throw new InvalidOperationException($"No Toolkit.sln above {AppContext.BaseDirectory}.");
    }
}
