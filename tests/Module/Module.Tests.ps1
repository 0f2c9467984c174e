# The laid-out module folder: manifest, exports, conventions every cmdlet follows, and that TorchSharp's natives
# load from the module folder inside PowerShell.
BeforeDiscovery {
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
    $Commands = @($MnistCnn.ExportedCmdlets.Values | ForEach-Object { @{ Name = $_.Name; Command = $_ } })
}

BeforeAll {
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
    $Manifest = Join-Path $ModulePath 'MnistCnn.psd1'
}

Describe 'Module manifest' {
    It 'is a valid manifest stamped with the VersionPrefix of Directory.Build.props' {
        $props = [xml](Get-Content -Raw (Join-Path $RepoRoot 'Directory.Build.props'))
        $expected = @($props.Project.PropertyGroup.VersionPrefix | Where-Object { $_ })[0]
        $info = Test-ModuleManifest $Manifest
        $info.Version | Should -Be ([version]$expected)
        $MnistCnn.Version | Should -Be ([version]$expected)
    }

    It 'exports exactly the cmdlets the assembly defines' {
        $assembly = [MnistCnn.Cmdlets.NewCnnModelCommand].Assembly
        $defined = @($assembly.GetExportedTypes() | ForEach-Object {
            $attr = [Attribute]::GetCustomAttribute($_, [Management.Automation.CmdletAttribute])
            if ($attr) { "$($attr.VerbName)-$($attr.NounName)" } }) | Sort-Object
        $defined | Should -Not -BeNullOrEmpty
        @((Import-PowerShellDataFile $Manifest).CmdletsToExport | Sort-Object) | Should -Be $defined
        @($MnistCnn.ExportedCmdlets.Keys | Sort-Object) | Should -Be $defined
    }

    It 'loads its format views' {
        (Import-PowerShellDataFile $Manifest).FormatsToProcess | Should -Contain 'MnistCnn.format.ps1xml'
        Get-FormatData -TypeName MnistCnn.Core.Models.ModelDefinition | Should -Not -BeNullOrEmpty
    }
}

Describe 'Cmdlet conventions: <Name>' -ForEach $Commands {
    It 'uses an approved verb' {
        (Get-Verb).Verb | Should -Contain $Command.Verb
    }

    It 'declares [OutputType]' {
        $Command.OutputType | Should -Not -BeNullOrEmpty
    }

    It 'is a sealed class' {
        $Command.ImplementingType.IsSealed | Should -BeTrue
    }

    It 'has its own Pester file (VerbNoun.Tests.ps1) that calls it' {
        $file = Join-Path $PSScriptRoot "$($Command.Verb)$($Command.Noun).Tests.ps1"
        $file | Should -Exist
        Get-Content -Raw $file | Should -Match "\b$([regex]::Escape($Command.Name))\b"
    }
}

Describe 'Module folder' {
    It 'carries <File>' -ForEach @(
        @{ File = 'MnistCnn.Cmdlets.dll' }, @{ File = 'MnistCnn.Core.dll' }, @{ File = 'TorchSharp.dll' },
        @{ File = 'libLibTorchSharp.so' }, @{ File = 'libtorch_cpu.so' }, @{ File = 'libc10.so' },
        @{ File = 'MnistCnn.format.ps1xml' }, @{ File = 'en-US/MnistCnn.Cmdlets.dll-Help.xml' }) {
        Join-Path $ModulePath $File | Should -Exist
    }

    It 'leaves out <File>' -ForEach @(
        @{ File = 'System.Management.Automation.dll' }, @{ File = 'libtorch_python.so' }, @{ File = 'libjitbackend_test.so' },
        @{ File = 'libtorchbind_test.so' }, @{ File = 'libbackend_with_compiler.so' }, @{ File = 'libaoti_custom_ops.so' },
        @{ File = 'libnnapi_backend.so' }) {
        Join-Path $ModulePath $File | Should -Not -Exist
    }

    It 'has every assembly that its assemblies reference (besides .NET and PowerShell)' {
        $missing = foreach ($dll in Get-ChildItem $ModulePath -Filter '*.dll') {
            $stream = [IO.File]::OpenRead($dll.FullName)
            try {
                $pe = [Reflection.PortableExecutable.PEReader]::new($stream)
                $reader = [Reflection.Metadata.PEReaderExtensions]::GetMetadataReader($pe)
                foreach ($handle in $reader.AssemblyReferences) {
                    $name = $reader.GetString($reader.GetAssemblyReference($handle).Name)
                    if ($name -match '^(System|Microsoft|netstandard|mscorlib|WindowsBase)(\.|$)') { continue }
                    if (-not (Test-Path (Join-Path $ModulePath "$name.dll"))) { "$($dll.Name) -> $name" }
                }
                $pe.Dispose()
            }
            finally { $stream.Dispose() }
        }
        $missing | Should -BeNullOrEmpty
    }

    It 'resolves every native dependency of libLibTorchSharp.so (ldd)' {
        if (-not (Get-Command ldd -ErrorAction Ignore)) { Set-ItResult -Skipped -Because 'ldd is not installed'; return }
        $lines = & ldd (Join-Path $ModulePath 'libLibTorchSharp.so') 2>&1
        # A weak version the host lacks is reported but harmless: that is the Debian 12 patch at work.
        $lines -match 'not found' -notmatch 'weak version' | Should -BeNullOrEmpty
        $torch = $lines -match 'libtorch_cpu\.so'
        $torch | Should -Match ([regex]::Escape($ModulePath))
    }
}

Describe 'Licences' {
    It 'carries the project licence (MIT) and the third-party notices, as in the repository' {
        foreach ($file in 'LICENSE', 'THIRD-PARTY-NOTICES.txt') {
            Join-Path $ModulePath $file | Should -Exist
            (Get-FileHash (Join-Path $ModulePath $file)).Hash | Should -Be (Get-FileHash (Join-Path $RepoRoot $file)).Hash
        }
        Get-Content -Raw (Join-Path $ModulePath 'LICENSE') | Should -Match '^MIT License\s+Copyright \(c\) MnistCnn contributors'
    }

    It 'names every third-party library the module folder ships in THIRD-PARTY-NOTICES.txt' {
        $notices = Get-Content -Raw (Join-Path $ModulePath 'THIRD-PARTY-NOTICES.txt')
        $libraries = Get-ChildItem -File $ModulePath -Include '*.dll', '*.so', '*.so.*' -Recurse | Where-Object Name -notlike 'MnistCnn.*'
        $libraries | Should -Not -BeNullOrEmpty
        # libgomp's file name carries a build hash; the notices name it libgomp-*.so.1.
        $unlisted = $libraries | ForEach-Object { $_.Name -replace '^(libgomp)-[0-9a-f]+(\.so\.1)$', '$1-*$2' } |
            Where-Object { -not $notices.Contains($_) }
        $unlisted | Should -BeNullOrEmpty
    }
}

Describe 'Native libraries inside PowerShell' {
    It 'loads the laid-out libLibTorchSharp.so' {
        $handle = [IntPtr]::Zero
        [Runtime.InteropServices.NativeLibrary]::TryLoad((Join-Path $ModulePath 'libLibTorchSharp.so'), [ref]$handle) | Should -BeTrue
        $handle | Should -Not -Be ([IntPtr]::Zero)
    }

    It 'marks GLIBCXX_3.4.32 weak in the module copy exactly when the host libstdc++ lacks it' {
        # The patcher is the build tool tools/GlibcxxCompat (not in the module); the build leaves it built here.
        $tool = Join-Path $PSScriptRoot '../../tools/GlibcxxCompat/bin/Release/net10.0/MnistCnn.GlibcxxCompat.dll'
        Test-Path $tool | Should -BeTrue -Because 'the build builds tools/GlibcxxCompat to patch its output'
        Add-Type -Path $tool
        $host_ = [MnistCnn.BuildTools.GlibcxxCompat]::FindSystemLibstdcxx()
        if (-not $host_) { Set-ItResult -Skipped -Because 'no system libstdc++ found'; return }
        $defined = [MnistCnn.BuildTools.GlibcxxCompat]::ReadDefinedVersions([IO.File]::ReadAllBytes($host_))
        $needs = [MnistCnn.BuildTools.GlibcxxCompat]::ReadVersionNeeds([IO.File]::ReadAllBytes((Join-Path $ModulePath 'libLibTorchSharp.so')))
        $need = @($needs | Where-Object Version -eq 'GLIBCXX_3.4.32')
        $need.Count | Should -Be 1
        $need[0].IsWeak | Should -Be (-not $defined.Contains('GLIBCXX_3.4.32'))
        @($needs | Where-Object { $_.Version -ne 'GLIBCXX_3.4.32' -and $_.IsWeak }) | Should -BeNullOrEmpty
    }

    It 'runs a tensor operation with libtorch from the module folder' {
        # TorchSharp loads with the module's Core assembly (CnnModel derives from a TorchSharp module), as the cmdlets load it.
        $null = [MnistCnn.Core.Models.CnnModel]
        $t = [TorchSharp.torch]::ones([long[]]@(2, 3))
        $t.sum().item[float]() | Should -Be 6
        $maps = Get-Content "/proc/$PID/maps" | Where-Object { $_ -match 'libtorch_cpu\.so' } | ForEach-Object { ($_ -split '\s+')[-1] } | Select-Object -Unique
        $maps | Should -Be (Join-Path $ModulePath 'libtorch_cpu.so')
    }

    It 'trains: a few optimizer steps on a batch lower the loss' {
        $model = [MnistCnn.Core.Models.CnnModel]::new((New-CnnModel).Spec)
        $data = New-SyntheticDataset -TrainCount 32 -TestCount 10
        $x = $data.Train.ImagesTensor($null)
        $y = $data.Train.LabelsTensor($null)
        $optimizer = [TorchSharp.torch+optim]::Adam($model.parameters(), 0.003)
        $losses = for ($i = 0; $i -lt 8; $i++) {
            $optimizer.zero_grad()
            $loss = [TorchSharp.torch+nn+functional]::cross_entropy($model.forward($x), $y)
            $loss.backward()
            $null = $optimizer.step()
            $loss.item[float]()
        }
        $losses[-1] | Should -BeLessThan ($losses[0] * 0.8)
    }
}
