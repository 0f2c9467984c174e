# build.ps1 Package, then the gallery way: Install-PSResource from a local file repository into a clean HOME (with a
# space in it), Import-Module by name in a fresh pwsh started in another folder (also with a space), meet
# BackendNotInstalled (the package has no libtorch), Install-CnnBackend -Backend Cpu through this machine's NuGet
# configuration (its global packages folder already holds libtorch-cpu-linux-x64, so nothing is downloaded), train.
BeforeAll {
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
    Add-Type -AssemblyName System.IO.Compression.FileSystem
    # PowerShell itself: this process's host and pwsh.dll, startable from any folder (no dotnet tool manifest needed).
    $dotnet = [Environment]::ProcessPath
    $pwshDll = [Environment]::GetCommandLineArgs()[0]
    $repository = Join-Path $RepoRoot 'out/package'
    # The package under test is built here; a placeholder address stands in for the project's ProjectUri.
    $log = & $dotnet $pwshDll -NoLogo -NoProfile -NonInteractive -File (Join-Path $RepoRoot 'build.ps1') Package -ProjectUri 'https://example.invalid/mnistcnn' 2>&1
    $packageExit = $LASTEXITCODE
    $package = Get-ChildItem $repository -Filter 'MnistCnn.*.nupkg' -ErrorAction Ignore | Select-Object -First 1
    # This user's NuGet configuration and global packages folder, which the clean HOME's sessions are given.
    $nugetConfig = Join-Path $HOME '.nuget/NuGet/NuGet.Config'
    $globalPackages = if ($env:NUGET_PACKAGES) { $env:NUGET_PACKAGES } else { Join-Path $HOME '.nuget/packages' }

    # Runs a script in a fresh pwsh with HOME (and so the user's module folder and PSResourceGet's settings) in $Home_.
    function Invoke-CleanPwsh([string] $Home_, [string] $Folder, [string] $Script) {
        $saved = @{}
        foreach ($name in 'HOME', 'XDG_DATA_HOME', 'XDG_CONFIG_HOME', 'XDG_CACHE_HOME', 'PSModulePath', 'MNISTCNN_MODULE_PATH', 'MNISTCNN_CACHE_DIR', 'MNISTCNN_LIBTORCH', 'NUGET_PACKAGES') {
            $saved[$name] = [Environment]::GetEnvironmentVariable($name)
            [Environment]::SetEnvironmentVariable($name, $null)
        }
        $env:HOME = $Home_
        $env:NUGET_PACKAGES = $globalPackages
        Push-Location -LiteralPath $Folder
        try { $output = & $dotnet $pwshDll -NoLogo -NoProfile -NonInteractive -Command $Script 2>&1 | Out-String; $code = $LASTEXITCODE }
        finally {
            Pop-Location
            foreach ($name in $saved.Keys) { [Environment]::SetEnvironmentVariable($name, $saved[$name]) }
        }
        [pscustomobject]@{ Output = $output; ExitCode = $code }
    }
}

Describe 'build.ps1 Package' {
    It 'publishes MnistCnn.(version).nupkg to out/package with Publish-PSResource' {
        $packageExit | Should -Be 0 -Because ($log | Out-String)
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

    It 'has ProjectUri, LicenseUri, ReleaseNotes and the PSEdition_Core and Linux tags in its manifest and nuspec' {
        $zip = [IO.Compression.ZipFile]::OpenRead($package.FullName)
        try {
            $read = { param($name) $s = [IO.StreamReader]::new($zip.GetEntry($name).Open()); try { $s.ReadToEnd() } finally { $s.Dispose() } }
            $nuspec = [xml](& $read 'MnistCnn.nuspec')
            $manifestText = & $read 'MnistCnn.psd1'
        }
        finally { $zip.Dispose() }
        $meta = $nuspec.package.metadata
        $meta.projectUrl | Should -Be 'https://example.invalid/mnistcnn'
        $meta.tags -split ' ' | Should -Contain 'PSEdition_Core'
        $meta.tags -split ' ' | Should -Contain 'Linux'
        $meta.releaseNotes | Should -Not -BeNullOrEmpty
        $psData = (Invoke-Expression $manifestText).PrivateData.PSData
        $psData.LicenseUri | Should -Be 'https://example.invalid/mnistcnn/blob/main/LICENSE'
        $psData.ProjectUri | Should -Be 'https://example.invalid/mnistcnn'
    }

    It 'installs with Install-PSResource into a clean HOME, imports by name from another folder, needs Install-CnnBackend, then trains' {
        $cleanHome = Join-Path $TestDrive 'clean home'
        $elsewhere = Join-Path $TestDrive 'some other folder'
        $null = New-Item -ItemType Directory -Force $cleanHome, $elsewhere
        $install = Invoke-CleanPwsh $cleanHome $elsewhere @"
`$ErrorActionPreference = 'Stop'
Register-PSResourceRepository -Name MnistCnnLocal -Uri '$repository' -Trusted
Install-PSResource -Name MnistCnn -Repository MnistCnnLocal -Scope CurrentUser -TrustRepository
(Get-InstalledPSResource -Name MnistCnn).InstalledLocation
"@
        $install.ExitCode | Should -Be 0 -Because $install.Output
        Join-Path $RepoRoot 'PSResourceGet' | Should -Not -Exist -Because 'packaging keeps PSResourceGet''s settings in its own folder'
        $install.Output | Should -Match ([regex]::Escape($cleanHome))

        # Its NuGet configuration: this user's (the clean HOME would otherwise get NuGet's default one).
        if (Test-Path $nugetConfig) { Copy-Item $nugetConfig (New-Item -ItemType Directory -Force (Join-Path $cleanHome '.nuget/NuGet')) }

        # MNISTCNN_LIBTORCH at a PyTorch of another version: the import succeeds, the first cmdlet that needs libtorch says why not.
        $otherTorch = New-Item -ItemType Directory -Force (Join-Path $TestDrive 'pytorch 2.11/torch/lib')
        foreach ($file in 'libc10.so', 'libtorch_cpu.so', 'libtorch.so') { $null = New-Item -ItemType File -Force (Join-Path $otherTorch $file) }
        "__version__ = '2.11.0+cu130'" | Set-Content (Join-Path $otherTorch '../version.py')
        $before = Invoke-CleanPwsh $cleanHome $elsewhere @"
`$env:MNISTCNN_LIBTORCH = '$otherTorch'
Import-Module MnistCnn
try { New-CnnModel -ErrorAction Stop; 'no error' } catch { "with variable: `$(`$_.FullyQualifiedErrorId)" }
Remove-Item env:MNISTCNN_LIBTORCH
try { New-CnnModel -ErrorAction Stop; 'no error' } catch { "id: `$(`$_.FullyQualifiedErrorId)"; "message: `$_" }
"@
        $before.Output | Should -Match 'with variable: LibTorchVersionMismatch,MnistCnn.Cmdlets.NewCnnModelCommand' -Because $before.Output
        $before.Output | Should -Match 'id: BackendNotInstalled,MnistCnn.Cmdlets.NewCnnModelCommand' -Because $before.Output
        $before.Output | Should -Match "Run 'Install-CnnBackend -Backend Cpu'"

        $backend = Invoke-CleanPwsh $cleanHome $elsewhere @'
$ErrorActionPreference = 'Stop'
Import-Module MnistCnn
$b = Install-CnnBackend -Backend Cpu -ProgressAction SilentlyContinue
"backend: $($b.Backend) $($b.Version) from $($b.Source) in $($b.Folder) ($($b.Packages -join ', '))"
# The session that installed it uses it from its next cmdlet on.
"same session: $((New-CnnModel).GetType().Name)"
"mapped: $((Get-Content /proc/$PID/maps | Where-Object { $_ -match 'libtorch_cpu\.so' } | Select-Object -First 1) -replace '^.*\s(/.*)$', '$1')"
'@
        $backend.ExitCode | Should -Be 0 -Because $backend.Output
        $backend.Output | Should -Match "backend: Cpu 2\.10\.0 from NuGet global packages folder in $([regex]::Escape((Join-Path $cleanHome '.cache/mnistcnn/libtorch/cpu-2.10.0')))"
        $backend.Output | Should -Match 'libtorch-cpu-linux-x64 2\.10\.0'
        $backend.Output | Should -Match 'same session: ModelDefinition'
        $backend.Output | Should -Match "mapped: $([regex]::Escape((Join-Path $cleanHome '.cache/mnistcnn/libtorch/cpu-2.10.0/libtorch_cpu.so')))"

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
        $train.Output | Should -Match "torch: $([regex]::Escape((Join-Path $cleanHome '.cache/mnistcnn/libtorch/cpu-2.10.0/libtorch_cpu.so')))"
        Join-Path $elsewhere 'run/result.json' | Should -Exist
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
