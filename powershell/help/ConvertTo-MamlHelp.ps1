<#
.SYNOPSIS
Turns the module's help markdown (platyPS format, powershell/help/*.md) into the MAML file that
PowerShell reads for compiled cmdlets (NativeToken.dll-Help.xml).

.DESCRIPTION
platyPS is not available here, so this does what its New-ExternalHelp does for the parts these
files use: synopsis, description, syntax per parameter set, parameters with their attributes,
examples with remarks, inputs, outputs, notes and related links. The markdown stays the one
source in the repository; scripts/build runs this whenever a source or this script changed.

Mapping choices, so that Get-Help shows what the markdown says (as the script module's
comment-based help did):
- -ProgressAction (platyPS adds it for PowerShell 7.4+) is left out: PowerShell treats it as a
  common parameter and lists it under CommonParameters.
- The parameters section lists each parameter once, in the order the syntax blocks first name
  them (declaration order), with the attributes of its first parameter-set block.
- Consecutive '###' lines of INPUTS/OUTPUTS with no text between them are one type whose name
  spans several lines (platyPS's rendering of a multi-line .OUTPUTS text).
- 'Default value: None' becomes an empty default value; positions are kept as written; missing
  aliases are written empty (not 'none'); examples get the 'PS > ' prompt that comment-based
  help shows.
- A related link whose text is its URL gets only the URL.

.EXAMPLE
scripts/pwsh -NoProfile -File powershell/help/ConvertTo-MamlHelp.ps1 -OutFile out/NativeToken/en-US/NativeToken.dll-Help.xml
#>
[CmdletBinding()]
param(
    # The markdown files, one per command (default: every *.md beside this script).
    [string[]] $Path = @(Get-ChildItem -LiteralPath $PSScriptRoot -Filter '*.md' | Sort-Object Name | ForEach-Object FullName),

    # The MAML file to write.
    [Parameter(Mandatory)]
    [string] $OutFile
)

Set-StrictMode -Version 3.0
$ErrorActionPreference = 'Stop'

$nsMaml = 'http://schemas.microsoft.com/maml/2004/10'
$nsCommand = 'http://schemas.microsoft.com/maml/dev/command/2004/10'
$nsDev = 'http://schemas.microsoft.com/maml/dev/2004/10'

# ------------------------------------------------------------------------------------------------
# Markdown
# ------------------------------------------------------------------------------------------------

# The lines of each '## NAME' section, by name.
function Get-Section {
    param([string[]] $Lines)
    $sections = [ordered]@{}
    $name = $null
    foreach ($line in $Lines) {
        if ($line -match '^## (.+?)\s*$') {
            $name = $Matches[1]
            $sections[$name] = [System.Collections.Generic.List[string]]::new()
        }
        elseif ($null -ne $name) {
            $sections[$name].Add($line)
        }
    }
    $sections
}

# Paragraphs (blocks separated by blank lines), each with its line breaks, trimmed.
function Get-Paragraph {
    param([string[]] $Lines)
    $paragraphs = [System.Collections.Generic.List[string]]::new()
    $current = [System.Collections.Generic.List[string]]::new()
    foreach ($line in @($Lines | Where-Object { $null -ne $_ }) + '') {
        if ($line.Trim().Length -eq 0) {
            if ($current.Count -gt 0) {
                $paragraphs.Add(($current -join "`n"))
                $current.Clear()
            }
        }
        else {
            $current.Add($line.TrimEnd())
        }
    }
    , $paragraphs.ToArray()
}

# Splits a section into '### heading' blocks: @{ Heading; Lines }.
function Get-Subsection {
    param([string[]] $Lines)
    $blocks = [System.Collections.Generic.List[object]]::new()
    $current = $null
    foreach ($line in $Lines) {
        if ($line -match '^### ?(.*)$') {
            $current = [pscustomobject]@{ Heading = $Matches[1]; Lines = [System.Collections.Generic.List[string]]::new() }
            $blocks.Add($current)
        }
        elseif ($null -ne $current) {
            $current.Lines.Add($line)
        }
    }
    $blocks.ToArray()
}

# The fenced code blocks of some lines, and the lines outside them.
function Split-Code {
    param([string[]] $Lines)
    $code = [System.Collections.Generic.List[string[]]]::new()
    $text = [System.Collections.Generic.List[string]]::new()
    $block = $null
    foreach ($line in $Lines) {
        if ($line -match '^```') {
            if ($null -eq $block) { $block = [System.Collections.Generic.List[string]]::new() }
            else { $code.Add($block.ToArray()); $block = $null }
        }
        elseif ($null -ne $block) { $block.Add($line) }
        else { $text.Add($line) }
    }
    [pscustomobject]@{ Code = $code.ToArray(); Text = $text.ToArray() }
}

function Read-HelpMarkdown {
    param([string] $File)

    $lines = [System.IO.File]::ReadAllLines($File)
    $name = ($lines | Where-Object { $_ -match '^# ' } | Select-Object -First 1) -replace '^# ', ''
    if (-not $name) { throw "$File has no '# <command>' title." }
    $sections = Get-Section $lines
    foreach ($required in 'SYNOPSIS', 'SYNTAX', 'DESCRIPTION', 'PARAMETERS') {
        if (-not $sections.Contains($required)) { throw "$File has no '## $required' section." }
    }

    # SYNTAX: one code block per parameter set ('### Name (Default)' headings, or one unnamed block).
    $syntax = [System.Collections.Generic.List[object]]::new()
    $setName = '(All)'
    $inBlock = $false
    foreach ($line in $sections['SYNTAX']) {
        if ($line -match '^```') { $inBlock = -not $inBlock; continue }
        if (-not $inBlock -and $line -match '^### (.+?)\s*$') { $setName = ($Matches[1] -replace '\(Default\)', '').Trim(); continue }
        if ($inBlock -and $line.Trim()) {
            $parameterNames = @([regex]::Matches($line, '(?<![\w<])-(\w+)') | ForEach-Object { $_.Groups[1].Value } |
                    Where-Object { $_ -ne 'ProgressAction' })
            $syntax.Add([pscustomobject]@{ Set = $setName; Parameters = $parameterNames })
        }
    }

    # PARAMETERS: description and one yaml block per parameter set.
    $parameters = [ordered]@{}
    foreach ($block in Get-Subsection $sections['PARAMETERS']) {
        if ($block.Heading -notmatch '^-(\w+)$') { continue }   # CommonParameters
        $parameterName = $Matches[1]
        if ($parameterName -eq 'ProgressAction') { continue }
        $split = Split-Code $block.Lines
        $sets = foreach ($yaml in $split.Code) {
            $fields = @{}
            foreach ($entry in $yaml) {
                if ($entry -match '^([^:]+):\s*(.*)$') { $fields[$Matches[1].Trim()] = $Matches[2].Trim() }
            }
            $fields
        }
        $parameters[$parameterName] = [pscustomobject]@{
            Name        = $parameterName
            Description = Get-Paragraph $split.Text
            Sets        = @($sets)
        }
    }

    # EXAMPLES: title, code, remarks.
    $examples = foreach ($block in Get-Subsection $(if ($sections.Contains('EXAMPLES')) { $sections['EXAMPLES'] } else { @() })) {
        $split = Split-Code $block.Lines
        [pscustomobject]@{
            Title   = $block.Heading.Trim()
            Code    = (@($split.Code | ForEach-Object { $_ -join "`n" }) -join "`n").Trim()
            Remarks = Get-Paragraph $split.Text
        }
    }

    # INPUTS / OUTPUTS: '### type' lines; text under one is its description.
    $types = {
        param([string] $Section)
        if (-not $sections.Contains($Section)) { return @() }
        $result = [System.Collections.Generic.List[object]]::new()
        $current = $null
        foreach ($block in Get-Subsection $sections[$Section]) {
            $description = Get-Paragraph @($block.Lines | ForEach-Object { $_.Trim() })
            if ($null -ne $current -and $current.Description.Count -eq 0) {
                $current.Name += "`n" + $block.Heading.TrimEnd()
                $current.Description = $description
            }
            else {
                $current = [pscustomobject]@{ Name = $block.Heading.TrimEnd(); Description = $description }
                $result.Add($current)
            }
        }
        , $result.ToArray()
    }

    $links = foreach ($line in $(if ($sections.Contains('RELATED LINKS')) { $sections['RELATED LINKS'] } else { @() })) {
        foreach ($m in [regex]::Matches($line, '\[([^\]]*)\]\(([^)\s]*)\)')) {
            [pscustomobject]@{ Text = $m.Groups[1].Value; Uri = $m.Groups[2].Value }
        }
    }

    [pscustomobject]@{
        Name        = $name
        Synopsis    = (Get-Paragraph $sections['SYNOPSIS']) -join "`n`n"
        Description = Get-Paragraph $sections['DESCRIPTION']
        Syntax      = $syntax.ToArray()
        Parameters  = $parameters
        Examples    = @($examples)
        Inputs      = & $types 'INPUTS'
        Outputs     = & $types 'OUTPUTS'
        Notes       = $(if ($sections.Contains('NOTES')) { Get-Paragraph $sections['NOTES'] } else { @() })
        Links       = @($links)
    }
}

# ------------------------------------------------------------------------------------------------
# MAML
# ------------------------------------------------------------------------------------------------

function Write-Para {
    param($Writer, [string[]] $Paragraphs)
    foreach ($p in $Paragraphs) { $Writer.WriteElementString('para', $nsMaml, $p) }
    if (@($Paragraphs).Count -eq 0) { $Writer.WriteElementString('para', $nsMaml, '') }
}

function Write-Description {
    param($Writer, [string[]] $Paragraphs)
    $Writer.WriteStartElement('description', $nsMaml)
    Write-Para $Writer $Paragraphs
    $Writer.WriteEndElement()
}

# One command:parameter element, with the attributes of the given yaml block.
function Write-Parameter {
    param($Writer, $Parameter, [hashtable] $Fields)
    $required = ($Fields['Required'] -eq 'True').ToString().ToLowerInvariant()
    $position = if ($Fields['Position'] -eq 'Named' -or -not $Fields['Position']) { 'named' } else { $Fields['Position'] }
    $aliases = if ($Fields['Aliases']) { $Fields['Aliases'] } else { '' }
    $pipeline = if ($Fields['Accept pipeline input']) { $Fields['Accept pipeline input'].ToLowerInvariant() } else { 'false' }
    $globbing = ($Fields['Accept wildcard characters'] -eq 'True').ToString().ToLowerInvariant()
    $type = $Fields['Type']
    $default = if ($Fields['Default value'] -and $Fields['Default value'] -ne 'None') { $Fields['Default value'] } else { '' }

    $Writer.WriteStartElement('parameter', $nsCommand)
    $Writer.WriteAttributeString('required', $required)
    $Writer.WriteAttributeString('variableLength', 'true')
    $Writer.WriteAttributeString('globbing', $globbing)
    $Writer.WriteAttributeString('pipelineInput', $pipeline)
    $Writer.WriteAttributeString('position', $position)
    $Writer.WriteAttributeString('aliases', $aliases)
    $Writer.WriteElementString('name', $nsMaml, $Parameter.Name)
    Write-Description $Writer $Parameter.Description
    $Writer.WriteStartElement('parameterValue', $nsCommand)
    $Writer.WriteAttributeString('required', 'true')
    $Writer.WriteAttributeString('variableLength', 'false')
    $Writer.WriteString($type)
    $Writer.WriteEndElement()
    $Writer.WriteStartElement('type', $nsDev)
    $Writer.WriteElementString('name', $nsMaml, $type)
    $Writer.WriteElementString('uri', $nsMaml, '')
    $Writer.WriteEndElement()
    $Writer.WriteElementString('defaultValue', $nsDev, $default)
    $Writer.WriteEndElement()
}

function Write-TypeList {
    param($Writer, [string] $ListName, [string] $ItemName, $Types)
    $Writer.WriteStartElement($ListName, $nsCommand)
    foreach ($t in $Types) {
        $Writer.WriteStartElement($ItemName, $nsCommand)
        $Writer.WriteStartElement('type', $nsDev)
        $Writer.WriteElementString('name', $nsMaml, $t.Name)
        $Writer.WriteEndElement()
        if (@($t.Description).Count -gt 0) { Write-Description $Writer $t.Description }
        $Writer.WriteEndElement()
    }
    $Writer.WriteEndElement()
}

function Write-Command {
    param($Writer, $Help)

    $verb, $noun = $Help.Name -split '-', 2
    $Writer.WriteStartElement('command', 'command', $nsCommand)
    $Writer.WriteAttributeString('xmlns', 'maml', $null, $nsMaml)
    $Writer.WriteAttributeString('xmlns', 'command', $null, $nsCommand)
    $Writer.WriteAttributeString('xmlns', 'dev', $null, $nsDev)
    $Writer.WriteAttributeString('xmlns', 'MSHelp', $null, 'http://msdn.microsoft.com/mshelp')

    $Writer.WriteStartElement('details', $nsCommand)
    $Writer.WriteElementString('name', $nsCommand, $Help.Name)
    $Writer.WriteElementString('verb', $nsCommand, $verb)
    $Writer.WriteElementString('noun', $nsCommand, $noun)
    Write-Description $Writer @($Help.Synopsis)
    $Writer.WriteEndElement()

    Write-Description $Writer $Help.Description

    # One syntax item per parameter set, its parameters in the order of the syntax block.
    $Writer.WriteStartElement('syntax', $nsCommand)
    foreach ($item in $Help.Syntax) {
        $Writer.WriteStartElement('syntaxItem', $nsCommand)
        $Writer.WriteElementString('name', $nsMaml, $Help.Name)
        foreach ($parameterName in $item.Parameters) {
            $parameter = $Help.Parameters[$parameterName]
            if ($null -eq $parameter) { throw "$($Help.Name): the syntax names -$parameterName, which has no PARAMETERS entry." }
            $fields = @($parameter.Sets | Where-Object { $_['Parameter Sets'] -eq '(All)' -or ($_['Parameter Sets'] -split ',\s*') -contains $item.Set })
            if ($fields.Count -eq 0) { throw "$($Help.Name): -$parameterName has no PARAMETERS block for the set '$($item.Set)'." }
            Write-Parameter $Writer $parameter $fields[0]
        }
        $Writer.WriteEndElement()
    }
    $Writer.WriteEndElement()

    # Each parameter once, in the order the syntax first names it, then any the syntax does not name.
    $order = [System.Collections.Generic.List[string]]::new()
    foreach ($item in $Help.Syntax) { foreach ($n in $item.Parameters) { if (-not $order.Contains($n)) { $order.Add($n) } } }
    foreach ($n in $Help.Parameters.Keys) { if (-not $order.Contains($n)) { $order.Add($n) } }
    $Writer.WriteStartElement('parameters', $nsCommand)
    foreach ($n in $order) { Write-Parameter $Writer $Help.Parameters[$n] $Help.Parameters[$n].Sets[0] }
    $Writer.WriteEndElement()

    Write-TypeList $Writer 'inputTypes' 'inputType' $Help.Inputs
    Write-TypeList $Writer 'returnValues' 'returnValue' $Help.Outputs

    if (@($Help.Notes).Count -gt 0) {
        $Writer.WriteStartElement('alertSet', $nsMaml)
        $Writer.WriteStartElement('alert', $nsMaml)
        Write-Para $Writer $Help.Notes
        $Writer.WriteEndElement()
        $Writer.WriteEndElement()
    }

    $Writer.WriteStartElement('examples', $nsCommand)
    foreach ($example in $Help.Examples) {
        $Writer.WriteStartElement('example', $nsCommand)
        $Writer.WriteElementString('title', $nsMaml, "-------------------------- $($example.Title) --------------------------")
        # The prompt Get-Help shows before the code, as for comment-based help.
        $Writer.WriteStartElement('introduction', $nsMaml)
        $Writer.WriteElementString('para', $nsMaml, 'PS > ')
        $Writer.WriteEndElement()
        $Writer.WriteElementString('code', $nsDev, $example.Code)
        $Writer.WriteStartElement('remarks', $nsDev)
        Write-Para $Writer $example.Remarks
        $Writer.WriteEndElement()
        $Writer.WriteEndElement()
    }
    $Writer.WriteEndElement()

    $Writer.WriteStartElement('relatedLinks', $nsCommand)
    foreach ($link in $Help.Links) {
        $Writer.WriteStartElement('navigationLink', $nsMaml)
        $Writer.WriteElementString('linkText', $nsMaml, $(if ($link.Text -ceq $link.Uri) { '' } else { $link.Text }))
        $Writer.WriteElementString('uri', $nsMaml, $link.Uri)
        $Writer.WriteEndElement()
    }
    $Writer.WriteEndElement()

    $Writer.WriteEndElement()
}

$helps = foreach ($file in $Path) { Read-HelpMarkdown $file }

$directory = [System.IO.Path]::GetDirectoryName([System.IO.Path]::GetFullPath($OutFile))
[void][System.IO.Directory]::CreateDirectory($directory)
$temporary = [System.IO.Path]::GetFullPath($OutFile) + '.tmp'
$settings = [System.Xml.XmlWriterSettings]::new()
$settings.Indent = $true
$settings.IndentChars = '  '
$settings.Encoding = [System.Text.UTF8Encoding]::new($false)
$settings.NewLineChars = "`n"
$writer = [System.Xml.XmlWriter]::Create($temporary, $settings)
try {
    $writer.WriteStartDocument()
    $writer.WriteStartElement('helpItems', 'http://msh')
    $writer.WriteAttributeString('schema', 'maml')
    foreach ($help in $helps) { Write-Command $writer $help }
    $writer.WriteEndElement()
    $writer.WriteEndDocument()
}
finally {
    $writer.Dispose()
}
[System.IO.File]::Move($temporary, [System.IO.Path]::GetFullPath($OutFile), $true)
