# Install-CnnBackend against the developer build (which keeps libtorch beside TorchSharp, so this process's libtorch
# never changes): registering a folder, its errors, -WhatIf, the default view. Each test has a backend cache of its
# own (MNISTCNN_CACHE_DIR). The packaged module without libtorch (BackendNotInstalled, -Backend Cpu through this
# machine's NuGet configuration, training on it) is tested in Package.Tests.ps1; the NuGet errors in Core.Tests.
BeforeAll {
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
    $savedCache = $env:MNISTCNN_CACHE_DIR
    $globalPackages = if ($env:NUGET_PACKAGES) { $env:NUGET_PACKAGES } else { Join-Path $HOME '.nuget/packages' }
    $nugetLibTorch = Join-Path $globalPackages 'libtorch-cpu-linux-x64/2.10.0/runtimes/linux-x64/native'

    # A folder that looks like an installed PyTorch's torch/lib (empty libraries, a version.py beside it).
    function New-FakeTorchLib([string] $Name, [string] $Version) {
        $lib = New-Item -ItemType Directory -Force (Join-Path $TestDrive "$Name/torch/lib")
        foreach ($file in 'libc10.so', 'libtorch_cpu.so', 'libtorch.so') { $null = New-Item -ItemType File -Force (Join-Path $lib $file) }
        if ($Version) { "__version__ = '$Version'" | Set-Content (Join-Path $TestDrive "$Name/torch/version.py") }
        $lib.FullName
    }
}

AfterAll {
    if ($null -eq $savedCache) { Remove-Item env:MNISTCNN_CACHE_DIR -ErrorAction Ignore } else { $env:MNISTCNN_CACHE_DIR = $savedCache }
}

Describe 'Install-CnnBackend' {
    BeforeEach {
        $env:MNISTCNN_CACHE_DIR = Join-Path $TestDrive ("cache-" + [guid]::NewGuid().ToString('N').Substring(0, 8))
        $selection = Join-Path $env:MNISTCNN_CACHE_DIR 'libtorch/selected.json'
    }

    It '-Path registers a libtorch 2.10 folder and selects it for new sessions' {
        if (-not (Test-Path (Join-Path $nugetLibTorch 'libtorch_cpu.so'))) { Set-ItResult -Skipped -Because "the NuGet global packages folder has no libtorch-cpu-linux-x64 2.10.0 ($nugetLibTorch)"; return }
        $backend = Install-CnnBackend -Path $nugetLibTorch -WarningAction SilentlyContinue
        $backend | Should -BeOfType MnistCnn.Core.Backends.LibTorchBackend
        $backend.Backend | Should -Be 'Cpu'
        $backend.Version | Should -Be '2.10.0'
        $backend.Source | Should -Be 'Path'
        $backend.Folder | Should -Be (Resolve-Path $nugetLibTorch).Path
        $backend.SizeBytes | Should -BeGreaterThan 100MB
        (Get-Content -Raw $selection | ConvertFrom-Json).folder | Should -Be $backend.Folder
    }

    It 'warns that a developer build always uses the libtorch beside it' {
        $lib = New-FakeTorchLib 'pytorch-2.10' '2.10.1+cpu'
        $null = Install-CnnBackend -Path $lib -WarningVariable warnings -WarningAction SilentlyContinue
        "$warnings" | Should -Match 'carries its own libtorch'
    }

    It '-Path refuses a libtorch of another version with LibTorchVersionMismatch and selects nothing' {
        $lib = New-FakeTorchLib 'pytorch-2.11' '2.11.0+cu130'
        $err = { Install-CnnBackend -Path $lib } | Should -Throw -PassThru
        $err.FullyQualifiedErrorId | Should -Be 'LibTorchVersionMismatch,MnistCnn.Cmdlets.InstallCnnBackendCommand'
        $err.CategoryInfo.Category | Should -Be 'InvalidData'
        $err.Exception.Message | Should -Match '2\.11\.0\+cu130.*needs libtorch 2\.10'
        $selection | Should -Not -Exist
    }

    It '-Path refuses a folder whose version it cannot read with LibTorchVersionUnknown' {
        $lib = New-FakeTorchLib 'no-version' $null
        $err = { Install-CnnBackend -Path $lib } | Should -Throw -PassThru
        $err.FullyQualifiedErrorId | Should -Be 'LibTorchVersionUnknown,MnistCnn.Cmdlets.InstallCnnBackendCommand'
        $err.Exception.Message | Should -Match 'version\.txt'
    }

    It '-Path refuses a folder without libtorch (LibTorchNotInFolder) and one that does not exist (LibTorchFolderNotFound)' {
        $err = { Install-CnnBackend -Path $TestDrive } | Should -Throw -PassThru
        $err.FullyQualifiedErrorId | Should -Be 'LibTorchNotInFolder,MnistCnn.Cmdlets.InstallCnnBackendCommand'
        $err = { Install-CnnBackend -Path (Join-Path $TestDrive 'nowhere') } | Should -Throw -PassThru
        $err.FullyQualifiedErrorId | Should -Be 'LibTorchFolderNotFound,MnistCnn.Cmdlets.InstallCnnBackendCommand'
        $err.CategoryInfo.Category | Should -Be 'ObjectNotFound'
    }

    It '-WhatIf installs nothing, fetches nothing and writes nothing' {
        Install-CnnBackend -Backend Cuda -WhatIf | Should -BeNullOrEmpty
        Install-CnnBackend -Path $TestDrive -WhatIf | Should -BeNullOrEmpty
        $env:MNISTCNN_CACHE_DIR | Should -Not -Exist
    }

    It 'shows Backend, Version, size, Source and Folder in 80 columns' {
        $lib = New-FakeTorchLib 'view' '2.10.0'
        $text = Install-CnnBackend -Path $lib -WarningAction SilentlyContinue | Format-Table | Out-String -Width 80
        $lines = $text -split "`n" | Where-Object { $_.Trim() }
        $lines[0] | Should -Match '^Backend\s+Version\s+SizeMB\s+Source\s+Folder'
        $lines[2] | Should -Match '^Cpu\s+2\.10\.0\s+0\s+Path'
        $lines | ForEach-Object { $_.TrimEnd().Length | Should -BeLessOrEqual 80 }
    }
}
