using MnistCnn.BuildTools;

// The build tool: `dotnet GlibcxxCompat.dll <path/to/libLibTorchSharp.so>`, run by Directory.Build.targets after
// build and publish on the output copy. It prints one line; an unpatchable library is an MSBuild-style warning
// (MNC1200) and never fails the build, as before. Exit code 2 is a usage error.
if (args.Length != 1)
{
    Console.Error.WriteLine("usage: GlibcxxCompat <path/to/libLibTorchSharp.so>");
    return 2;
}

var library = args[0];
var result = GlibcxxCompat.PatchOutputCopy(library);
if (result is null)
{
    Console.WriteLine(File.Exists(library)
        ? "No system libstdc++ found; leaving LibTorchSharp as shipped."
        : $"No {library}; nothing to patch.");
}
else if (result.Outcome == GlibcxxPatchOutcome.Unpatchable)
{
    Console.WriteLine($"{library}: warning MNC1200: {result.Message}");
}
else
{
    Console.WriteLine(result.Message);
}
return 0;
