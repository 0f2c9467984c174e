# build.ps1 Package (its ProjectUri from the git remote), then the gallery way: Install-PSResource from a local file
# repository into a clean HOME (with a space in it), Import-Module by name in a fresh pwsh started in another folder
# (also with a space), meet BackendNotInstalled (the package has no libtorch), Install-CnnBackend -Backend Cpu
# downloading libtorch-cpu-linux-x64 from the NuGet feed this machine is configured with (into an empty
# NUGET_PACKAGES, so nothing comes from the global packages folder), train; then the first-use step
# (MNISTCNN_INSTALL_BACKEND) installing from a local folder feed for a sweep whose workers use what it installed.
#
# The download needs the feed (CI machines reach it: their restore uses it). Where it cannot be reached the test
# fails, saying so, unless MNISTCNN_TEST_FEED_OPTIONAL=1: then libtorch comes from the global packages folder and the
# download's assertions are skipped, saying why.
BeforeAll {
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
    Add-Type -AssemblyName System.IO.Compression.FileSystem
    # PowerShell itself: this process's host and pwsh.dll, startable from any folder (no dotnet tool manifest needed).
    $dotnet = [Environment]::ProcessPath
    $pwshDll = [Environment]::GetCommandLineArgs()[0]
    $repository = Join-Path $RepoRoot 'out/package'
    $scratch = Join-Path ([IO.Path]::GetTempPath()) "mnistcnn-package-$PID"
    $null = New-Item -ItemType Directory -Force $scratch

    # Runs build.ps1 Package in a fresh pwsh, with GIT_DIR at $GitDir: a repository whose remote stands in for the project's.
    function Invoke-Package([string] $GitDir, [string[]] $Arguments = @()) {
        $saved = $env:GIT_DIR
        $env:GIT_DIR = $GitDir
        try { $log = & $dotnet $pwshDll -NoLogo -NoProfile -NonInteractive -File (Join-Path $RepoRoot 'build.ps1') Package @Arguments 2>&1 | Out-String; $code = $LASTEXITCODE }
        finally { $env:GIT_DIR = $saved }
        [pscustomobject]@{ Log = $log; ExitCode = $code }
    }
    function New-GitRepository([string] $Name, [string] $Origin) {
        $folder = Join-Path $scratch $Name
        $null = & git init -q $folder 2>&1
        if ($Origin) { & git -C $folder remote add origin $Origin }
        Join-Path $folder '.git'
    }

    # The package under test, its ProjectUri taken from an ssh remote 'origin'.
    $packaged = Invoke-Package (New-GitRepository 'with ssh origin' 'git@github.com:example-owner/mnistcnn.git')
    $package = Get-ChildItem $repository -Filter 'MnistCnn.*.nupkg' -ErrorAction Ignore | Select-Object -First 1
    # This user's NuGet configuration and global packages folder.
    $nugetConfig = Join-Path $HOME '.nuget/NuGet/NuGet.Config'
    $globalPackages = if ($env:NUGET_PACKAGES) { $env:NUGET_PACKAGES } else { Join-Path $HOME '.nuget/packages' }

    # Runs a script in a fresh pwsh with HOME (and so the user's module folder, NuGet configuration and caches) in
    # $Home_, and only the environment given here of the variables that choose modules, caches and libtorch
    # (DOTNET_CLI_HOME too: NuGet reads the user's NuGet.Config under it instead of HOME).
    function Invoke-CleanPwsh([string] $Home_, [string] $Folder, [string] $Script, [hashtable] $Environment = @{}) {
        $saved = @{}
        foreach ($name in 'HOME', 'XDG_DATA_HOME', 'XDG_CONFIG_HOME', 'XDG_CACHE_HOME', 'PSModulePath', 'MNISTCNN_MODULE_PATH', 'MNISTCNN_CACHE_DIR',
            'MNISTCNN_LIBTORCH', 'MNISTCNN_INSTALL_BACKEND', 'NUGET_PACKAGES', 'NUGET_HTTP_CACHE_PATH', 'DOTNET_CLI_HOME', 'TMPDIR') {
            $saved[$name] = [Environment]::GetEnvironmentVariable($name)
            # [NullString]: PowerShell would pass $null as "", and an empty variable is not an absent one (NuGet reads
            # an empty DOTNET_CLI_HOME as the current folder and writes a default NuGet.Config there).
            [Environment]::SetEnvironmentVariable($name, [NullString]::Value)
        }
        $env:HOME = $Home_
        foreach ($name in $Environment.Keys) { [Environment]::SetEnvironmentVariable($name, $Environment[$name]) }
        Push-Location -LiteralPath $Folder
        try { $output = & $dotnet $pwshDll -NoLogo -NoProfile -NonInteractive -Command $Script 2>&1 | Out-String; $code = $LASTEXITCODE }
        finally {
            Pop-Location
            foreach ($name in $saved.Keys) { [Environment]::SetEnvironmentVariable($name, $(if ($null -eq $saved[$name]) { [NullString]::Value } else { $saved[$name] })) }
        }
        [pscustomobject]@{ Output = $output; ExitCode = $code }
    }
}

AfterAll {
    Remove-Item -Recurse -Force $scratch -ErrorAction Ignore
}

Describe 'build.ps1 Package' {
    It 'publishes MnistCnn.(version).nupkg to out/package with Publish-PSResource' {
        $packaged.ExitCode | Should -Be 0 -Because $packaged.Log
        $package | Should -Not -BeNullOrEmpty
        $package.Name | Should -Be "MnistCnn.$($MnistCnn.Version).nupkg"
    }

    It 'carries the module, its licences and natives, and no .pdb' {
        $zip = [IO.Compression.ZipFile]::OpenRead($package.FullName)
        try { $entries = @($zip.Entries.FullName) } finally { $zip.Dispose() }
        foreach ($file in 'MnistCnn.psd1', 'MnistCnn.Cmdlets.dll', 'MnistCnn.format.ps1xml', 'LICENSE', 'THIRD-PARTY-NOTICES.txt',
            'libLibTorchSharp.so', 'en-US/MnistCnn.Cmdlets.dll-Help.xml', 'en-US/about_MnistCnn.help.txt') {
            $entries | Should -Contain $file
        }
        $entries | Where-Object { $_ -like '*.pdb' } | Should -BeNullOrEmpty
        # libtorch is fetched at run time (Install-CnnBackend), never shipped.
        $entries | Where-Object { $_ -clike 'libtorch*' -or $_ -clike 'libc10*' -or $_ -clike 'libgomp*' } | Should -BeNullOrEmpty
        $package.Length | Should -BeLessThan 40MB
    }

    It 'has ProjectUri (from the ssh remote, as https), LicenseUri, ReleaseNotes and the PSEdition_Core and Linux tags' {
        $zip = [IO.Compression.ZipFile]::OpenRead($package.FullName)
        try {
            $read = { param($name) $s = [IO.StreamReader]::new($zip.GetEntry($name).Open()); try { $s.ReadToEnd() } finally { $s.Dispose() } }
            $nuspec = [xml](& $read 'MnistCnn.nuspec')
            $manifestText = & $read 'MnistCnn.psd1'
        }
        finally { $zip.Dispose() }
        $meta = $nuspec.package.metadata
        $meta.projectUrl | Should -Be 'https://github.com/example-owner/mnistcnn'
        $meta.tags -split ' ' | Should -Contain 'PSEdition_Core'
        $meta.tags -split ' ' | Should -Contain 'Linux'
        $meta.releaseNotes | Should -Not -BeNullOrEmpty
        $psData = (Invoke-Expression $manifestText).PrivateData.PSData
        $psData.LicenseUri | Should -Be 'https://github.com/example-owner/mnistcnn/blob/main/LICENSE'
        $psData.ProjectUri | Should -Be 'https://github.com/example-owner/mnistcnn'
    }

    It 'without -ProjectUri and without a remote, stops before building and says what to pass' {
        $before = $package.LastWriteTimeUtc
        $result = Invoke-Package (New-GitRepository 'without origin' $null)
        $result.ExitCode | Should -Not -Be 0
        # The error as PowerShell wrapped it, lines joined.
        $text = ($result.Log -split "`n" | ForEach-Object { $_ -replace '^\s*\|?\s*', '' }) -join ' '
        $text | Should -Match "no git remote 'origin'"
        $text | Should -Match 'pass -ProjectUri https://'
        $result.Log | Should -Not -Match 'Module: ' -Because 'the address is checked before the build'
        (Get-Item $package.FullName).LastWriteTimeUtc | Should -Be $before
    }

    It 'tools/Get-ProjectUri.ps1 turns <Origin> into <Expected>' -ForEach @(
        @{ Origin = 'git@github.com:example-owner/mnistcnn.git'; Expected = 'https://github.com/example-owner/mnistcnn' }
        @{ Origin = 'ssh://git@gitlab.example.org:2222/group/mnistcnn.git'; Expected = 'https://gitlab.example.org/group/mnistcnn' }
        @{ Origin = 'https://ci-user:not-a-real-token@github.com/example-owner/mnistcnn.git'; Expected = 'https://github.com/example-owner/mnistcnn' }
        @{ Origin = 'https://example.org/mnistcnn/'; Expected = 'https://example.org/mnistcnn' }) {
        $saved = $env:GIT_DIR
        $env:GIT_DIR = New-GitRepository ([guid]::NewGuid().ToString('N')) $Origin
        try { & (Join-Path $RepoRoot 'tools/Get-ProjectUri.ps1') -RepositoryRoot $RepoRoot | Should -Be $Expected }
        finally { $env:GIT_DIR = $saved }
        # -ProjectUri wins over the remote.
        & (Join-Path $RepoRoot 'tools/Get-ProjectUri.ps1') -RepositoryRoot $RepoRoot -ProjectUri 'https://example.invalid/p' | Should -Be 'https://example.invalid/p'
    }

    It 'tools/Get-ProjectUri.ps1 refuses a remote that is not http(s), without showing it' {
        $saved = $env:GIT_DIR
        $env:GIT_DIR = New-GitRepository 'file origin' 'file:///srv/secret-path/mnistcnn.git'
        try { $err = { & (Join-Path $RepoRoot 'tools/Get-ProjectUri.ps1') -RepositoryRoot $RepoRoot } | Should -Throw -PassThru }
        finally { $env:GIT_DIR = $saved }
        $err.Exception.Message | Should -Match "the git remote 'origin' gives file://"
        $err.Exception.Message | Should -Not -Match 'secret-path'
    }
}

Describe 'The packed module, installed into a clean HOME' {
    BeforeAll {
        $cleanHome = Join-Path $TestDrive 'clean home'
        $elsewhere = Join-Path $TestDrive 'some other folder'
        $null = New-Item -ItemType Directory -Force $cleanHome, $elsewhere
        $cacheRoot = Join-Path $cleanHome '.cache/mnistcnn/libtorch'
        $install = Invoke-CleanPwsh $cleanHome $elsewhere @"
`$ErrorActionPreference = 'Stop'
Register-PSResourceRepository -Name MnistCnnLocal -Uri '$repository' -Trusted
Install-PSResource -Name MnistCnn -Repository MnistCnnLocal -Scope CurrentUser -TrustRepository
(Get-InstalledPSResource -Name MnistCnn).InstalledLocation
"@
        # Its NuGet configuration: this user's (the clean HOME would otherwise get NuGet's default one).
        if (Test-Path $nugetConfig) { Copy-Item $nugetConfig (New-Item -ItemType Directory -Force (Join-Path $cleanHome '.nuget/NuGet')) }

        # Install-CnnBackend with an empty global packages folder: libtorch must come from a NuGet source. Once per run.
        $emptyGlobal = New-Item -ItemType Directory -Force (Join-Path $TestDrive 'empty global packages')
        $temporary = New-Item -ItemType Directory -Force (Join-Path $TestDrive 'tmp')
        $backendScript = @'
$ErrorActionPreference = 'Stop'
Import-Module MnistCnn
$b = Install-CnnBackend -Backend Cpu -ProgressAction SilentlyContinue
"backend: $($b.Backend) $($b.Version) in $($b.Folder) ($($b.Packages -join ', '))"
"source: $($b.Source)"
$b.Verification | ForEach-Object { "verified: $_" }
# The session that installed it uses it from its next cmdlet on.
"same session: $((New-CnnModel).GetType().Name)"
"mapped: $((Get-Content /proc/$PID/maps | Where-Object { $_ -match 'libtorch_cpu\.so' } | Select-Object -First 1) -replace '^.*\s(/.*)$', '$1')"
'@
        $backend = Invoke-CleanPwsh $cleanHome $elsewhere $backendScript @{ NUGET_PACKAGES = $emptyGlobal.FullName; TMPDIR = $temporary.FullName }
        $fellBack = $null
        if ($backend.ExitCode -ne 0 -and $env:MNISTCNN_TEST_FEED_OPTIONAL -eq '1') {
            $fellBack = "MNISTCNN_TEST_FEED_OPTIONAL=1 and the NuGet feed could not give libtorch-cpu-linux-x64 ($(($backend.Output -split "`n" | Where-Object { $_ -match 'BackendPackage|NuGetSource|failed' } | Select-Object -First 1) -replace '^\s*\|?\s*', '')), " +
                "so it came from the global packages folder ($globalPackages) and the download was not tested"
            Write-Host "NOTE: $fellBack" -ForegroundColor Yellow
            $backend = Invoke-CleanPwsh $cleanHome $elsewhere $backendScript @{ NUGET_PACKAGES = $globalPackages; TMPDIR = $temporary.FullName }
        }
        $feedAdvice = "Install-CnnBackend could not get libtorch-cpu-linux-x64 2.10.0 from the NuGet source(s) of $nugetConfig into an empty " +
            "NUGET_PACKAGES. CI machines reach that feed (their restore uses it); on a machine that cannot, set MNISTCNN_TEST_FEED_OPTIONAL=1 to take " +
            "libtorch from the global packages folder instead (the download's assertions are then skipped). Its output:`n$($backend.Output)"
    }

    It 'installs with Install-PSResource and imports by name from another folder' {
        $install.ExitCode | Should -Be 0 -Because $install.Output
        Join-Path $RepoRoot 'PSResourceGet' | Should -Not -Exist -Because 'packaging keeps PSResourceGet''s settings in its own folder'
        $install.Output | Should -Match ([regex]::Escape($cleanHome))
    }

    It 'without a backend, a non-interactive session is not asked: BackendNotInstalled names the command and the unattended variable' {
        # Checked in a fresh cache: the backend of the other tests is installed in the clean HOME's.
        $emptyCache = Join-Path $TestDrive 'no backend cache'
        # MNISTCNN_LIBTORCH at a PyTorch of another version: the import succeeds, the first cmdlet that needs libtorch says why not.
        $otherTorch = New-Item -ItemType Directory -Force (Join-Path $TestDrive 'pytorch 2.11/torch/lib')
        foreach ($file in 'libc10.so', 'libtorch_cpu.so', 'libtorch.so') { $null = New-Item -ItemType File -Force (Join-Path $otherTorch $file) }
        "__version__ = '2.11.0+cu130'" | Set-Content (Join-Path $otherTorch '../version.py')
        $before = Invoke-CleanPwsh $cleanHome $elsewhere @"
`$env:MNISTCNN_LIBTORCH = '$otherTorch'
Import-Module MnistCnn
try { New-CnnModel -ErrorAction Stop; 'no error' } catch { "with variable: `$(`$_.FullyQualifiedErrorId)" }
Remove-Item env:MNISTCNN_LIBTORCH
try { New-CnnModel -ErrorAction Stop; 'no error' } catch { "id: `$(`$_.FullyQualifiedErrorId)"; "category: `$(`$_.CategoryInfo.Category)"; "message: `$_" }
`$env:MNISTCNN_INSTALL_BACKEND = 'gpu'
try { New-CnnModel -ErrorAction Stop; 'no error' } catch { "invalid: `$(`$_.FullyQualifiedErrorId) `$(`$_.CategoryInfo.Category)"; "invalid message: `$_" }
`$env:MNISTCNN_INSTALL_BACKEND = 'no'
try { New-CnnModel -ErrorAction Stop; 'no error' } catch { "never: `$(`$_.FullyQualifiedErrorId)" }
"@ @{ MNISTCNN_CACHE_DIR = $emptyCache }
        $before.Output | Should -Match 'with variable: LibTorchVersionMismatch,MnistCnn.Cmdlets.NewCnnModelCommand' -Because $before.Output
        $before.Output | Should -Match 'id: BackendNotInstalled,MnistCnn.Cmdlets.NewCnnModelCommand' -Because $before.Output
        $before.Output | Should -Match 'category: ResourceUnavailable'
        $before.Output | Should -Match "Run 'Install-CnnBackend -Backend Cpu'"
        $before.Output | Should -Match 'set MNISTCNN_INSTALL_BACKEND=cpu \(or cuda\)'
        $before.Output | Should -Match 'invalid: BackendInstallVariableInvalid,MnistCnn.Cmdlets.NewCnnModelCommand InvalidArgument'
        $before.Output | Should -Match "MNISTCNN_INSTALL_BACKEND is 'gpu'"
        $before.Output | Should -Match 'never: BackendNotInstalled'
        Join-Path $emptyCache 'libtorch' | Should -Not -Exist -Because 'nothing was installed'
    }

    It 'Install-CnnBackend -Backend Cpu downloads libtorch from the NuGet source, verified, and leaves no download behind' {
        if ($fellBack) { Set-ItResult -Skipped -Because $fellBack; return }
        $backend.ExitCode | Should -Be 0 -Because $feedAdvice
        $backend.Output | Should -Match "backend: Cpu 2\.10\.0 in $([regex]::Escape((Join-Path $cacheRoot 'cpu-2.10.0'))) \(libtorch-cpu-linux-x64 2\.10\.0\)"
        $backend.Output | Should -Match "source: NuGet source '[^']+'" -Because 'it was downloaded, not taken from the global packages folder'
        $backend.Output | Should -Match 'verified: libtorch-cpu-linux-x64 2\.10\.0: (Repository|Author) signature by CN=[^:]+: content hash \(SHA\d+\) matches the package; SHA-512 [A-Za-z0-9+/=]{88} of the download, recorded in backend\.json'
        # backend.json keeps the same record.
        $record = Get-Content -Raw (Join-Path $cacheRoot 'cpu-2.10.0/backend.json') | ConvertFrom-Json
        $record.Packages[0].Source | Should -Match "^NuGet source '"
        $record.Packages[0].Sha512 | Should -Match '^[A-Za-z0-9+/=]{88}$'
        # Nothing left of the download: no .downloads or staging folder, no NuGet HTTP-cache copy, nothing in the global
        # packages folder or the session's temporary folder.
        @(Get-ChildItem -Force $cacheRoot).Name | Sort-Object | Should -Be @('cpu-2.10.0', 'selected.json')
        Get-ChildItem -Force -Recurse -File $emptyGlobal, $temporary, (Join-Path $cleanHome '.local/share/NuGet') -ErrorAction Ignore |
            Where-Object Length -gt 1MB | Should -BeNullOrEmpty
    }

    It 'the session that installed it uses it from its next cmdlet' {
        $backend.ExitCode | Should -Be 0 -Because $feedAdvice
        $backend.Output | Should -Match 'same session: ModelDefinition'
        $backend.Output | Should -Match "mapped: $([regex]::Escape((Join-Path $cacheRoot 'cpu-2.10.0/libtorch_cpu.so')))"
    }

    It 'a second Install-CnnBackend keeps the cached backend, and -Backend Cuda stops at once with BackendPackageNotFound' {
        $backend.ExitCode | Should -Be 0 -Because $feedAdvice
        $manifest = Join-Path $cacheRoot 'cpu-2.10.0/backend.json'
        $recorded = Get-Content -Raw $manifest
        $library = (Get-Item (Join-Path $cacheRoot 'cpu-2.10.0/libtorch_cpu.so')).LastWriteTimeUtc
        $again = Invoke-CleanPwsh $cleanHome $elsewhere @'
Import-Module MnistCnn
$b = Install-CnnBackend -Backend Cpu -Verbose -ProgressAction SilentlyContinue 4>&1 | ForEach-Object { if ($_ -is [System.Management.Automation.VerboseRecord]) { "verbose: $_" } else { "again: $($_.Source)" } }
$b
try { Install-CnnBackend -Backend Cuda -ProgressAction SilentlyContinue -ErrorAction Stop; 'no error' } catch { "cuda: $($_.FullyQualifiedErrorId) $($_.CategoryInfo.Category)"; "cuda message: $_" }
'@ @{ NUGET_PACKAGES = $emptyGlobal.FullName }
        $again.Output | Should -Match 'verbose: Cpu libtorch 2\.10\.0 is already in' -Because $again.Output
        $again.Output | Should -Match "again: NuGet source '|again: NuGet global packages folder"
        Get-Content -Raw $manifest | Should -Be $recorded
        (Get-Item (Join-Path $cacheRoot 'cpu-2.10.0/libtorch_cpu.so')).LastWriteTimeUtc | Should -Be $library
        # This feed serves no TorchSharp-cuda-linux (docs/install.md): the CUDA backend cannot be fetched from it.
        $again.Output | Should -Match 'cuda: BackendPackageNotFound,MnistCnn.Cmdlets.InstallCnnBackendCommand ObjectNotFound'
        $again.Output | Should -Match 'TorchSharp-cuda-linux 0\.107\.0 is not in the NuGet global packages folder'
        @(Get-ChildItem -Force $cacheRoot).Name | Sort-Object | Should -Be @('cpu-2.10.0', 'selected.json')
    }

    It 'trains in a new session on the installed backend' {
        $backend.ExitCode | Should -Be 0 -Because $feedAdvice
        $train = Invoke-CleanPwsh $cleanHome $elsewhere @'
$ErrorActionPreference = 'Stop'
Import-Module MnistCnn
"module: $((Get-Module MnistCnn).ModuleBase)"
$pixels = [byte[]]::new(64 * 784); $labels = [byte[]]::new(64)
for ($i = 0; $i -lt 64; $i++) { $labels[$i] = $i % 10; for ($x = 2; $x -lt 26; $x++) { $pixels[$i * 784 + (2 + 2 * ($i % 10)) * 28 + $x] = 255 } }
$split = { param($name) [MnistCnn.Core.Data.DataSplit]::new($name, $pixels, $labels, 28, 28, $null, $null) }
$data = [MnistCnn.Core.Data.MnistDataset]::new('Mnist', (& $split 'train'), (& $split 'test'), 'made here', $null)
$run = $data | New-CnnModel | Start-CnnTraining -Epochs 1 -Threads 1 -NoReport -OutputPath ./run
"status: $($run.Status)"
"torch: $((Get-Content /proc/$PID/maps | Where-Object { $_ -match 'libtorch_cpu\.so' } | Select-Object -First 1) -replace '^.*\s(/.*)$', '$1')"
'@
        $train.ExitCode | Should -Be 0 -Because $train.Output
        $train.Output | Should -Match "module: $([regex]::Escape($cleanHome))"
        $train.Output | Should -Match 'status: Finished'
        # libtorch loads from the backend cache Install-CnnBackend filled, not from the build output or the NuGet cache.
        $train.Output | Should -Match "torch: $([regex]::Escape((Join-Path $cacheRoot 'cpu-2.10.0/libtorch_cpu.so')))"
        Join-Path $elsewhere 'run/result.json' | Should -Exist
    }

    It 'with MNISTCNN_INSTALL_BACKEND=cpu the first cmdlet installs the backend without asking, and a sweep''s workers use it' {
        $source = Join-Path $globalPackages 'libtorch-cpu-linux-x64/2.10.0/libtorch-cpu-linux-x64.2.10.0.nupkg'
        if (-not (Test-Path $source)) { Set-ItResult -Skipped -Because "the global packages folder has no libtorch-cpu-linux-x64 2.10.0 to make a folder feed of ($source); build.ps1 Build restores it"; return }
        # A folder feed (the signed package, copied) and a NuGet.Config beside the sweep that uses only it.
        $work = New-Item -ItemType Directory -Force (Join-Path $TestDrive 'first use')
        $feed = New-Item -ItemType Directory -Force (Join-Path $TestDrive 'folder feed')
        Copy-Item $source $feed
        Set-Content (Join-Path $work 'NuGet.Config') @"
<?xml version="1.0" encoding="utf-8"?>
<configuration><packageSources><clear /><add key="local copies" value="$feed" /></packageSources></configuration>
"@
        $data = New-Item -ItemType Directory -Force (Join-Path $work 'data')
        foreach ($split in @(@{ Name = 'train'; Count = 200 }, @{ Name = 't10k'; Count = 40 })) {
            $pixels = [byte[]]::new($split.Count * 784); $labels = [byte[]]::new($split.Count)
            for ($i = 0; $i -lt $split.Count; $i++) { $labels[$i] = $i % 10; for ($x = 2; $x -lt 26; $x++) { $pixels[$i * 784 + (2 + 2 * ($i % 10)) * 28 + $x] = 255 } }
            [IO.File]::WriteAllBytes((Join-Path $data "$($split.Name)-images-idx3-ubyte"), (New-IdxBytes 0x00000803 @($split.Count, 28, 28) $pixels))
            [IO.File]::WriteAllBytes((Join-Path $data "$($split.Name)-labels-idx1-ubyte"), (New-IdxBytes 0x00000801 @($split.Count) $labels))
        }
        Set-Content (Join-Path $work 'sweep.yaml') @"
name: first-use
data: { path: "$data" }
model: { preset: fast-mnist }
training: { epochs: 1, batchSize: 32, seed: 1, threads: 1 }
outputs: { pictures: false }
sweep:
  parameters:
    training.learningRate: [0.003, 0.001]
"@
        $cache = Join-Path $TestDrive 'first use cache'
        $sweep = Invoke-CleanPwsh $cleanHome $work @'
Import-Module MnistCnn
$results = @(Invoke-CnnExperiment -Path ./sweep.yaml -ThrottleLimit 2 -InformationAction Ignore -ProgressAction SilentlyContinue 3>&1 |
    ForEach-Object { if ($_ -is [System.Management.Automation.WarningRecord]) { "warning: $_" } else { $_ } })
$results | Where-Object { $_ -is [string] }
$trials = @($results | Where-Object { $_ -isnot [string] })
"trials: $($trials.Status -join ', ')"
try { Install-CnnBackend -Backend Cuda -ProgressAction SilentlyContinue -ErrorAction Stop; 'no error' } catch { "cuda: $($_.FullyQualifiedErrorId)"; "cuda message: $_" }
'@ @{ MNISTCNN_INSTALL_BACKEND = 'cpu'; MNISTCNN_CACHE_DIR = $cache; NUGET_PACKAGES = (New-Item -ItemType Directory -Force (Join-Path $TestDrive 'first use global')).FullName }
        $installed = Join-Path $cache 'libtorch/cpu-2.10.0'
        @([regex]::Matches($sweep.Output, 'warning: No libtorch is installed; installing the Cpu backend \(MNISTCNN_INSTALL_BACKEND=cpu\)')).Count | Should -Be 1 -Because $sweep.Output
        $sweep.Output | Should -Match "into '$([regex]::Escape($installed))'"
        # Both trials ran in worker processes on the backend the parent installed (the package has no other libtorch).
        $sweep.Output | Should -Match 'trials: Finished, Finished' -Because $sweep.Output
        $record = Get-Content -Raw (Join-Path $installed 'backend.json') | ConvertFrom-Json
        $record.Packages[0].Source | Should -Be "NuGet source 'local copies'"
        (Get-Content -Raw (Join-Path $cache 'libtorch/selected.json') | ConvertFrom-Json).folder | Should -Be $installed
        @(Get-ChildItem -Force (Join-Path $cache 'libtorch')).Name | Sort-Object | Should -Be @('cpu-2.10.0', 'selected.json')
        # A feed without TorchSharp's CUDA packages: BackendPackageNotFound, naming the source.
        $sweep.Output | Should -Match 'cuda: BackendPackageNotFound,MnistCnn.Cmdlets.InstallCnnBackendCommand'
        $sweep.Output | Should -Match "TorchSharp-cuda-linux 0\.107\.0 .*'local copies' does not have it"
    }
}

Describe 'Import on a platform the natives are not for' {
    It 'the module knows what its natives were built for' {
        [MnistCnn.Cmdlets.ModuleInitializer]::BuiltFor | Should -Be 'linux-x64'
        [MnistCnn.Cmdlets.ModuleInitializer]::CheckPlatform('linux-x64', [Runtime.InteropServices.RuntimeInformation]::RuntimeIdentifier) | Should -BeNullOrEmpty
    }

    It 'refuses <Current> with a message naming both platforms and what to do' -ForEach @(
        @{ Current = 'osx-arm64' }, @{ Current = 'win-x64' }, @{ Current = 'linux-arm64' }, @{ Current = 'linux-musl-x64' }) {
        $message = [MnistCnn.Cmdlets.ModuleInitializer]::CheckPlatform('linux-x64', $Current)
        $message | Should -Match "for linux-x64 only, and this PowerShell runs on $Current"
        $message | Should -Match 'Install the module on a linux-x64 machine'
    }

    It 'accepts a distribution-specific name of the same platform (<Current>)' -ForEach @(@{ Current = 'debian.12-x64' }, @{ Current = 'linux-x64' }) {
        [MnistCnn.Cmdlets.ModuleInitializer]::CheckPlatform('linux-x64', $Current) | Should -BeNullOrEmpty
    }
}
