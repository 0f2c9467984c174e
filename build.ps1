#!/usr/bin/env pwsh
<#
.SYNOPSIS
    Builds, tests and runs the MnistCnn PowerShell module.
.DESCRIPTION
    Run from anywhere, after `dotnet tool restore` (PowerShell is a local tool):
        dotnet pwsh ./build.ps1 [Task ...]
    Tasks (default: Build):
        Build  publish src/Cmdlets and lay out an importable module in out/MnistCnn
        Test   Build, then xUnit (tests/*.Tests) and Pester (module, fresh pwsh); last line "N passed, N failed, N skipped"
        Train  Build, then train the tutorial model on MNIST for 5 epochs (-Epochs) in this pwsh (signals reach it)
        GpuBundle  publish the GPU check self-contained and trimmed to out/gpu-check (docs/gpu.md)
        Package  Build, then the module package out/package/MnistCnn.<version>.nupkg (PSResourceGet, no .pdb, no libtorch)
        Clean  remove out/ and the projects' bin/ and obj/
        Tasks  list the tasks
.EXAMPLE
    dotnet pwsh ./build.ps1 Test
.EXAMPLE
    dotnet pwsh ./build.ps1 Build -TorchBackend cuda
#>
[CmdletBinding()]
param(
    [Parameter(Position = 0)]
    [ValidateSet('Build', 'Test', 'Train', 'Package', 'GpuBundle', 'Clean', 'Tasks')]
    [string[]] $Task = 'Build',
    # libtorch flavour: cpu (default) or cuda (TorchSharp-cuda-linux; opt-in, see docs/development.md).
    [ValidateSet('cpu', 'cuda')]
    [string] $TorchBackend = 'cpu',
    # Extra filter for the xUnit run, e.g. 'FullyQualifiedName~Native'.
    [string] $TestFilter,
    # Train: epochs (the tutorial's 5 by default).
    [ValidateRange(1, 1000)]
    [int] $Epochs = 5,
    # Package: the project's web address for the manifest's ProjectUri and LicenseUri (default: the git remote 'origin').
    [string] $ProjectUri
)

Set-StrictMode -Version 3.0
$ErrorActionPreference = 'Stop'
$Root = $PSScriptRoot
$Out = Join-Path $Root 'out'
$Publish = Join-Path $Out 'publish'
$Module = Join-Path $Out 'MnistCnn'
$Results = Join-Path $Out 'test-results'
# The xUnit projects `Test` runs, in order (folders under tests/).
$XunitProjects = @('Core.Tests', 'Tools.Tests', 'Integration.Tests')

# What the module folder must not carry: PowerShell's own assemblies (the host supplies them), libtorch's test
# and Python libraries (nothing loads them), and build by-products PowerShell never reads.
$Excluded = @(
    'System.Management.Automation.dll', 'Microsoft.PowerShell.*.dll', 'Microsoft.Management.Infrastructure*.dll',
    'libtorch_python.so', 'libjitbackend_test.so', 'libtorchbind_test.so', 'libbackend_with_compiler.so',
    'libaoti_custom_ops.so', 'libnnapi_backend.so',
    '*.deps.json', '*.runtimeconfig.json', 'MnistCnn.*.xml'
)

# What the package leaves out: libtorch and the CUDA libraries it brings (Install-CnnBackend fetches them at run time;
# docs/install.md). TorchSharp's own shim, libLibTorchSharp.so, stays.
$LibTorchFiles = @(
    'libtorch*.so', 'libc10*.so', 'libgomp*.so*', 'libshm.so', 'libcaffe2*.so', 'libcudnn*', 'libcublas*', 'libcudart*',
    'libnvrtc*', 'libnvJitLink*', 'libcufft*', 'libcurand*', 'libcusparse*', 'libcusolver*', 'libnccl*', 'libnvToolsExt*', 'libcupti*'
)

function Invoke-Dotnet {
    & dotnet @args
    if ($LASTEXITCODE -ne 0) { throw "dotnet $($args[0]) failed with exit code $LASTEXITCODE." }
}

function Get-VersionPrefix {
    $props = [xml](Get-Content -Raw (Join-Path $Root 'Directory.Build.props'))
    $version = @($props.Project.PropertyGroup | ForEach-Object { $_['VersionPrefix'] } | Where-Object { $_ })[0].InnerText
    if ($version -notmatch '^\d+\.\d+\.\d+$') { throw "Directory.Build.props: VersionPrefix '$version' is not major.minor.patch." }
    $version
}

# Copies $Source to $Destination unless an identical-looking file (same size and time) is already there.
function Copy-IfChanged([IO.FileInfo] $Source, [string] $Destination) {
    $target = [IO.FileInfo]::new($Destination)
    if ($target.Exists -and $target.Length -eq $Source.Length -and $target.LastWriteTimeUtc -eq $Source.LastWriteTimeUtc) { return }
    $null = New-Item -ItemType Directory -Force -Path $target.DirectoryName
    [IO.File]::Copy($Source.FullName, $Destination, $true)
    [IO.File]::SetLastWriteTimeUtc($Destination, $Source.LastWriteTimeUtc)
}

function Set-ContentIfChanged([string] $Path, [string] $Value) {
    if ((Test-Path $Path) -and (Get-Content -Raw $Path) -ceq $Value) { return }
    [IO.File]::WriteAllText($Path, $Value, [Text.UTF8Encoding]::new($false))
}

# A fresh PowerShell (the repository's local tool), so that nothing this script loaded leaks into it. Its output
# goes straight to the console (call it as a statement, not captured); the exit code lands in $script:FreshExit.
function Invoke-FreshPwsh {
    Push-Location $Root
    try { & dotnet pwsh -NoLogo -NoProfile -NonInteractive @args } finally { Pop-Location }
    $script:FreshExit = $LASTEXITCODE
}

$Tasks = [ordered]@{}

$Tasks.Build = @{ Synopsis = 'Publish src/Cmdlets (Release, linux-x64) and lay out the importable module in out/MnistCnn.'; Run = {
    $backend = @(if ($TorchBackend -ne 'cpu') { "-p:TorchBackend=$TorchBackend" })
    Invoke-Dotnet publish (Join-Path $Root 'src/Cmdlets/Cmdlets.csproj') -c Release -r linux-x64 --self-contained false `
        -o $Publish -nologo -v minimal @backend

    # Everything the module loads, managed and native, from the publish folder; nothing stale stays behind.
    $files = @{}
    foreach ($file in Get-ChildItem -File -Recurse $Publish) {
        $relative = [IO.Path]::GetRelativePath($Publish, $file.FullName)
        if ($Excluded | Where-Object { $file.Name -like $_ }) { continue }
        $files[$relative] = $file
    }
    $extras = @(Get-ChildItem -File (Join-Path $Root 'src/Cmdlets') -Filter 'MnistCnn.*.ps1xml') +
        @(Get-Item (Join-Path $Root 'LICENSE'), (Join-Path $Root 'THIRD-PARTY-NOTICES.txt')) +
        @(Get-ChildItem -File (Join-Path $Root 'experiments') -Filter '*.schema.json' -ErrorAction Ignore)
    foreach ($file in $extras) { $files[$file.Name] = $file }
    foreach ($entry in $files.GetEnumerator()) { Copy-IfChanged $entry.Value (Join-Path $Module $entry.Key) }
    $generated = 'MnistCnn.psd1', 'en-US/MnistCnn.Cmdlets.dll-Help.xml', 'en-US/about_*.help.txt'
    foreach ($stale in Get-ChildItem -File -Recurse $Module) {
        $relative = [IO.Path]::GetRelativePath($Module, $stale.FullName)
        if (-not $files.ContainsKey($relative) -and -not ($generated | Where-Object { $relative -like $_ })) { Remove-Item $stale.FullName }
    }
    # about_MnistCnn topics from README.md and docs/ (plain text; rewritten only when it changes).
    & (Join-Path $Root 'tools/New-AboutHelp.ps1') -RepositoryRoot $Root -OutDirectory (Join-Path $Module 'en-US')

    # Help (MAML from docs/help/*.md) and the cmdlet list for the manifest come from the built assembly, read in
    # a fresh pwsh; skipped when neither the assembly nor the help sources changed.
    $helpFile = Join-Path $Module 'en-US/MnistCnn.Cmdlets.dll-Help.xml'
    $cmdletList = Join-Path $Out 'cmdlets.txt'
    $inputs = @(Get-Item (Join-Path $Module 'MnistCnn.Cmdlets.dll'), (Join-Path $Root 'tools/New-MamlHelp.ps1')) +
        @(Get-ChildItem (Join-Path $Root 'docs/help') -Filter '*.md' -ErrorAction Ignore)
    $newest = ($inputs | Measure-Object -Maximum LastWriteTimeUtc).Maximum
    if (-not (Test-Path $helpFile) -or -not (Test-Path $cmdletList) -or (Get-Item $helpFile).LastWriteTimeUtc -lt $newest -or
        (Get-Item $cmdletList).LastWriteTimeUtc -lt $newest) {
        Invoke-FreshPwsh -File (Join-Path $Root 'tools/New-MamlHelp.ps1') -AssemblyPath (Join-Path $Module 'MnistCnn.Cmdlets.dll') `
            -HelpSource (Join-Path $Root 'docs/help') -OutFile $helpFile -CmdletListFile $cmdletList
        if ($FreshExit -ne 0) { throw "Help generation failed (exit code $FreshExit)." }
    }

    # The manifest: ModuleVersion from Directory.Build.props, CmdletsToExport from the assembly.
    $cmdlets = @(Get-Content $cmdletList | Where-Object { $_ } | Sort-Object)
    $manifest = Get-Content -Raw (Join-Path $Root 'MnistCnn.psd1')
    $manifest = $manifest -replace "(?m)^(\s*ModuleVersion\s*=\s*)'[^']*'", "`${1}'$(Get-VersionPrefix)'"
    $manifest = $manifest -replace "(?m)^(\s*CmdletsToExport\s*=\s*)@\([^)]*\)", ('${1}@(' + (($cmdlets | ForEach-Object { "'$_'" }) -join ', ') + ')')
    Set-ContentIfChanged (Join-Path $Module 'MnistCnn.psd1') $manifest
    Write-Host "Module: $Module ($($cmdlets.Count) cmdlets, version $(Get-VersionPrefix))"
} }

$Tasks.Test = @{ Synopsis = 'Build, run xUnit (tests/Core.Tests, Tools.Tests, Integration.Tests) and Pester (tests/Module, fresh pwsh); print "N passed, N failed, N skipped".'; Run = {
    & $Tasks.Build.Run
    Remove-Item -Recurse -Force $Results -ErrorAction Ignore
    $null = New-Item -ItemType Directory -Force $Results
    $counts = [ordered]@{ passed = 0; failed = 0; skipped = 0 }
    # Each failure in one line, repeated just above the summary: a CI log's tail then says what failed.
    $failures = [System.Collections.Generic.List[string]]::new()

    # Every xUnit project, each with its own trx; all are counted in the summary line.
    $filter = if ($TestFilter) { '--filter', $TestFilter } else { @() }
    $xunitExit = 0
    foreach ($project in $XunitProjects) {
        $name = Split-Path -Leaf $project
        Write-Host "`n== xUnit: tests/$name" -ForegroundColor Cyan
        $trxName = "$($name.Replace('.Tests', '').ToLowerInvariant()).trx"
        & dotnet test (Join-Path $Root "tests/$name/$name.csproj") -c Release -nologo -v minimal @filter `
            --logger 'console;verbosity=normal' --logger "trx;LogFileName=$trxName" --results-directory $Results
        $exit = $LASTEXITCODE
        $trx = Join-Path $Results $trxName
        $before = $counts.failed
        if (Test-Path $trx) {
            $run = ([xml](Get-Content -Raw $trx)).TestRun
            # The fuzz tests' one-line summaries (cases run, outcomes, memory), which the console logger hides for passed tests.
            # No Results element when the filter matched nothing in this project.
            $unitResults = if ($run['Results']) { @($run['Results'].GetElementsByTagName('UnitTestResult')) } else { @() }
            # And each failure, for the closing list.
            foreach ($result in $unitResults) {
                $output = $result['Output']
                $stdout = if ($output) { $output['StdOut'] }
                if ($stdout) { $stdout.InnerText -split "`n" | Where-Object { $_ -like 'fuzz *' } | ForEach-Object { Write-Host $_.Trim() } }
                if ($result.outcome -in 'Passed', 'NotExecuted') { continue }
                $message = if ($output -and $output['ErrorInfo']) { ($output['ErrorInfo']['Message'].InnerText -split "`n")[0].Trim() }
                $failures.Add("xUnit $($name): $($result.testName) ($($result.outcome)): $message")
            }
            $c = $run.ResultSummary.Counters
            $counts.passed += [int]$c.passed
            $counts.failed += [int]$c.failed + [int]$c.error + [int]$c.timeout + [int]$c.aborted
            $counts.skipped += [int]$c.total - [int]$c.executed
        }
        if ($exit -ne 0) {
            $xunitExit = $exit
            if ($counts.failed -eq $before) { $counts.failed++; Write-Host "dotnet test tests/$name failed (exit code $exit) before reporting results." -ForegroundColor Red }
        }
    }

    Write-Host "`n== Pester: tests/Module against $Module" -ForegroundColor Cyan
    Invoke-Dotnet restore (Join-Path $Root 'tests/Module/Pester.proj') -nologo -v quiet
    $pester = Join-Path $Results 'pester.json'
    Invoke-FreshPwsh -File (Join-Path $Root 'tests/Module/Invoke-ModuleTests.ps1') -ModulePath $Module -ResultsDirectory $Results
    $code = $FreshExit
    if (Test-Path $pester) {
        $p = Get-Content -Raw $pester | ConvertFrom-Json
        $counts.passed += $p.Passed; $counts.failed += $p.Failed; $counts.skipped += $p.Skipped
        foreach ($line in @($p.Failures)) { if ($line) { $failures.Add("Pester: $line") } }
    }
    if ($code -ne 0 -and -not (Test-Path $pester)) { $counts.failed++; Write-Host "Pester failed (exit code $code) before reporting results." -ForegroundColor Red }

    Write-Host ''
    if ($failures.Count -gt 0) {
        Write-Host 'Failed:' -ForegroundColor Red
        foreach ($line in $failures) { Write-Host "  $(if ($line.Length -gt 400) { $line.Substring(0, 400) + '...' } else { $line })" -ForegroundColor Red }
    }
    Write-Host "$($counts.passed) passed, $($counts.failed) failed, $($counts.skipped) skipped"
    if ($counts.failed -gt 0 -or $xunitExit -ne 0 -or $code -ne 0) { exit 1 }
} }

$Tasks.Train = @{ Synopsis = 'Build, then Import-MnistData | New-CnnModel | Start-CnnTraining -Epochs 5 (-Epochs) in this process (needs MNIST).'; Run = {
    & $Tasks.Build.Run
    $mnist = Join-Path $Root '../shared/datasets/mnist'
    if (-not $env:MNIST_DATA_DIR -and (Test-Path $mnist)) { $env:MNIST_DATA_DIR = (Resolve-Path $mnist).Path }
    $script = @'
$ErrorActionPreference = 'Stop'
Import-Module ./out/MnistCnn/MnistCnn.psd1
$data = Import-MnistData
$data | Format-List Name, Source, @{ n = 'Train'; e = { $_.Train.Shape } }, @{ n = 'Test'; e = { $_.Test.Shape } }
$model = $data | New-CnnModel
$model.SummaryText
$run = $model | Start-CnnTraining -Epochs EPOCHS
$run | Format-Table
'Test accuracy: {0:P2} ({1})' -f $run.TestAccuracy, $run.Status
'@
    # In this process, not a fresh pwsh: SIGTERM or SIGINT sent to this PowerShell reaches Start-CnnTraining, which
    # stops within a batch and keeps its checkpoint (a child pwsh would be left training as an orphan).
    Push-Location $Root
    try { & ([scriptblock]::Create($script.Replace('EPOCHS', [string]$Epochs))) } finally { Pop-Location }
} }

$Tasks.GpuBundle = @{ Synopsis = 'Publish scripts/gpu/GpuCheck self-contained and trimmed, no libtorch, to out/gpu-check/bundle; copy MNIST to out/gpu-check/mnist.'; Run = {
    $gpuCheck = Join-Path $Out 'gpu-check'
    $bundle = Join-Path $gpuCheck 'bundle'
    Remove-Item -Recurse -Force $bundle -ErrorAction Ignore
    Invoke-Dotnet publish (Join-Path $Root 'scripts/gpu/GpuCheck/GpuCheck.csproj') -c Release -r linux-x64 '-p:GpuBundle=true' -o $bundle -nologo -v minimal
    if (Get-ChildItem $bundle -Filter 'libtorch*') { throw "$bundle holds a libtorch: the GPU machine's own must be the one loaded." }

    # MNIST travels beside the bundle (the GPU machine has no network): the four IDX files, .gz where there are.
    $data = Join-Path $gpuCheck 'mnist'
    $sources = @(@($env:MNIST_DATA_DIR, (Join-Path $Root '../shared/datasets/mnist'), (Join-Path $HOME '.cache/mnistcnn/mnist')) |
        Where-Object { $_ -and (Test-Path (Join-Path $_ 't10k-labels-idx1-ubyte*')) })
    if (-not $sources) { throw 'No MNIST to copy: set MNIST_DATA_DIR to a folder with the four IDX files (docs/data.md).' }
    Remove-Item -Recurse -Force $data -ErrorAction Ignore
    $null = New-Item -ItemType Directory -Force $data
    foreach ($name in 'train-images-idx3-ubyte', 'train-labels-idx1-ubyte', 't10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte') {
        $file = @(Get-Item (Join-Path $sources[0] "$name.gz"), (Join-Path $sources[0] $name) -ErrorAction Ignore)[0]
        if (-not $file) { throw "$($sources[0]) has no $name[.gz]." }
        $copy = Join-Path $data $file.Name
        [IO.File]::Copy($file.FullName, $copy)
        [IO.File]::SetUnixFileMode($copy, 'UserRead, UserWrite, GroupRead, OtherRead')   # the source may be read-only
    }

    # What a device run sends: the tracked tree plus out/gpu-check (carried), against the 64 MiB limit.
    $tracked = (& git -C $Root ls-files -z) -split "`0" | Where-Object { $_ } | ForEach-Object { Join-Path $Root $_ } |
        Where-Object { Test-Path -PathType Leaf $_ } | Get-Item -Force | Measure-Object Length -Sum
    $carried = Get-ChildItem -File -Recurse $gpuCheck | Measure-Object Length -Sum
    $mib = ($tracked.Sum + $carried.Sum) / 1MB
    Write-Host ('GPU check: {0} ({1:N1} MiB carried) + tracked tree ({2:N1} MiB) = {3:N1} MiB of the 64 MiB a device run may send' -f $gpuCheck, ($carried.Sum / 1MB), ($tracked.Sum / 1MB), $mib)
    if ($mib -gt 60) { throw ('{0:N1} MiB is too close to the 64 MiB limit of a device run.' -f $mib) }
} }

$Tasks.Package = @{ Synopsis = 'Build, then publish the module (no .pdb, no libtorch: Install-CnnBackend fetches it) with Publish-PSResource to a local file repository: out/package/MnistCnn.<version>.nupkg.'; Run = {
    # The address first: without one, fail before building.
    $uri = & (Join-Path $Root 'tools/Get-ProjectUri.ps1') -RepositoryRoot $Root -ProjectUri $ProjectUri
    & $Tasks.Build.Run
    # The package is the module folder less debug symbols, with the project's addresses in its manifest.
    $stage = Join-Path $Out 'package-stage/MnistCnn'
    Remove-Item -Recurse -Force (Split-Path $stage) -ErrorAction Ignore
    $null = New-Item -ItemType Directory -Force $stage
    Copy-Item -Recurse (Join-Path $Module '*') $stage
    Get-ChildItem -Recurse -File $stage -Filter '*.pdb' | Remove-Item
    Get-ChildItem -Recurse -File $stage | Where-Object { $name = $_.Name; $LibTorchFiles | Where-Object { $name -clike $_ } } | Remove-Item
    $manifest = Join-Path $stage 'MnistCnn.psd1'
    $text = (Get-Content -Raw $manifest) -replace "(?m)^(\s*)(ReleaseNotes\s*=)", "`${1}ProjectUri   = '$uri'`n`${1}LicenseUri   = '$uri/blob/main/LICENSE'`n`${1}`$2"
    [IO.File]::WriteAllText($manifest, $text, [Text.UTF8Encoding]::new($false))

    $repository = Join-Path $Out 'package'
    Remove-Item -Recurse -Force $repository -ErrorAction Ignore
    $null = New-Item -ItemType Directory -Force $repository
    # PSResourceGet keeps its repository list under the user's data folder: give it a throw-away one.
    $saved = $env:XDG_DATA_HOME
    $env:XDG_DATA_HOME = Join-Path $Out 'package-stage/data'
    # It must exist: .NET answers an empty path for a missing data folder, and PSResourceGet then writes into the current one.
    $null = New-Item -ItemType Directory -Force $env:XDG_DATA_HOME
    try {
        Invoke-FreshPwsh -Command @"
`$ErrorActionPreference = 'Stop'
Import-Module Microsoft.PowerShell.PSResourceGet
Register-PSResourceRepository -Name MnistCnnBuild -Uri '$repository' -Trusted
Publish-PSResource -Path '$stage' -Repository MnistCnnBuild
"@
    }
    finally { $env:XDG_DATA_HOME = $saved }
    if ($FreshExit -ne 0) { throw "Publish-PSResource failed (exit code $FreshExit)." }
    $package = Get-ChildItem $repository -Filter 'MnistCnn.*.nupkg' | Select-Object -First 1
    if (-not $package) { throw "Publish-PSResource wrote no package to $repository." }
    Write-Host ("Package: {0} ({1:N0} MB)" -f $package.FullName, ($package.Length / 1MB))
} }

$Tasks.Clean = @{ Synopsis = 'Remove out/ and every project''s bin/ and obj/.'; Run = {
    Remove-Item -Recurse -Force $Out -ErrorAction Ignore
    # Every project: src/, tests/, the programs under scripts/ (Bench, GpuCheck), the build tools under tools/ and
    # the experiments' MSBuild project; a bin/ or obj/ folder that is not beside a project is not build output.
    $folders = @('src', 'tests', 'scripts', 'tools', 'experiments') | ForEach-Object { Join-Path $Root $_ } | Where-Object { Test-Path $_ }
    Get-ChildItem -File -Recurse -Path $folders -Include *.csproj, *.proj | ForEach-Object {
        foreach ($output in 'bin', 'obj') { Remove-Item -Recurse -Force (Join-Path $_.DirectoryName $output) -ErrorAction Ignore }
    }
} }

$Tasks.Tasks = @{ Synopsis = 'List the tasks.'; Run = {
    $Tasks.GetEnumerator() | ForEach-Object { '{0,-7} {1}' -f $_.Key, $_.Value.Synopsis }
} }

foreach ($name in $Task) {
    Write-Host "== $name" -ForegroundColor Cyan
    & $Tasks[$name].Run
}
