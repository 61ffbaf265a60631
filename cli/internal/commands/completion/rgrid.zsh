#compdef rgrid
# zsh completion for rgrid. Load it with:  source <(rgrid completion zsh)
# (after compinit), or save it as _rgrid in a folder on $fpath.
_rgrid() {
  local -a opts
  local cur=${words[CURRENT]}
  if [[ "$cur" == -* ]]; then
    opts=("${(@f)$(${words[1]} ${words[2,CURRENT-1]} $cur --generate-bash-completion 2>/dev/null)}")
  else
    opts=("${(@f)$(${words[1]} ${words[2,CURRENT-1]} --generate-bash-completion 2>/dev/null)}")
  fi
  if [[ -n "${opts[1]}" ]]; then
    compadd -a opts
  else
    _files
  fi
}
if [[ "${funcstack[1]}" == "_rgrid" ]]; then
  _rgrid "$@"
else
  compdef _rgrid rgrid
fi
