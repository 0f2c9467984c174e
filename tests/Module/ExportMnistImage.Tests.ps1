# Export-MnistImage: a grid PNG of chosen images, or one PNG per image (-Single), from a dataset split; bad indexes are
# an error; -WhatIf writes nothing. (Its format: Format.Tests.ps1.)
BeforeAll {
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
    $data = New-SyntheticDataset -TrainCount 40 -TestCount 20

    # Width and height from a PNG's IHDR chunk (big-endian, after the 8-byte signature and the chunk's length and type).
    function Get-PngSize([string] $Path) {
        $bytes = [IO.File]::ReadAllBytes($Path)
        $bytes[0..7] | Should -Be @(137, 80, 78, 71, 13, 10, 26, 10)
        $int = { param($at) ([int]$bytes[$at] -shl 24) -bor ([int]$bytes[$at + 1] -shl 16) -bor ([int]$bytes[$at + 2] -shl 8) -bor [int]$bytes[$at + 3] }
        [pscustomobject]@{ Width = & $int 16; Height = & $int 20 }
    }
}

Describe 'Export-MnistImage' {
    It 'writes one grid PNG of the first -Count images and returns its file' {
        $file = $data | Export-MnistImage -Path (Join-Path $TestDrive 'grid.png') -Count 4 -Columns 2
        $file | Should -BeOfType System.IO.FileInfo
        $file.FullName | Should -Be (Join-Path $TestDrive 'grid.png')
        $size = Get-PngSize $file.FullName
        $size.Width | Should -BeGreaterOrEqual (2 * 28 * 4)
        $size.Height | Should -BeGreaterOrEqual (2 * 28 * 4)
    }

    It 'writes one PNG per chosen image with -Single, at -Scale' {
        $files = @(Export-MnistImage -Dataset $data -Split Test -Index 0, 3, 5 -Single -Scale 2 -Path (Join-Path $TestDrive 'single'))
        $files.Count | Should -Be 3
        $files | ForEach-Object {
            $size = Get-PngSize $_.FullName
            $size.Width | Should -Be 56
            $size.Height | Should -Be 56
        }
        @(Get-ChildItem (Join-Path $TestDrive 'single') -Filter *.png).Count | Should -Be 3
    }

    It 'picks the same images for the same -Seed with -Random' {
        $a = $data | Export-MnistImage -Random -Seed 5 -Count 6 -Path (Join-Path $TestDrive 'a.png')
        $b = $data | Export-MnistImage -Random -Seed 5 -Count 6 -Path (Join-Path $TestDrive 'b.png')
        (Get-FileHash $a.FullName).Hash | Should -Be (Get-FileHash $b.FullName).Hash
    }

    It 'writes ImageIndexOutOfRange for an index beyond the split, and no file' {
        $path = Join-Path $TestDrive 'bad.png'
        $null = $data | Export-MnistImage -Split Test -Index 0, 20 -Path $path -ErrorVariable errors -ErrorAction SilentlyContinue
        $errors[0].FullyQualifiedErrorId | Should -Be 'ImageIndexOutOfRange,MnistCnn.Cmdlets.ExportMnistImageCommand'
        $path | Should -Not -Exist
    }

    It 'writes nothing with -WhatIf' {
        $path = Join-Path $TestDrive 'whatif.png'
        $data | Export-MnistImage -Path $path -WhatIf
        $path | Should -Not -Exist
    }
}
