// A parsed template node printed back as text, as Go's text/template/parse Node.String()
// does (used in error messages such as "executing ... at <.Foo>").
#include <string>

#include "alert/template_internal.h"

namespace perfwatch::alert::tmpl {
namespace {

void AppendString(const PNode& n, std::string& out);

void AppendPipe(const PNode& p, std::string& out) {
  if (!p.decl.empty()) {
    for (size_t i = 0; i < p.decl.size(); ++i) {
      if (i > 0) out += ", ";
      AppendString(*p.decl[i], out);
    }
    out += " := ";
  }
  for (size_t i = 0; i < p.children.size(); ++i) {
    if (i > 0) out += " | ";
    AppendString(*p.children[i], out);
  }
}

void AppendString(const PNode& n, std::string& out) {
  switch (n.type) {
    case NodeType::kText:
      out += n.text;
      break;
    case NodeType::kAction:
      out += "{{";
      AppendPipe(*n.pipe, out);
      out += "}}";
      break;
    case NodeType::kBreak:
      out += "{{break}}";
      break;
    case NodeType::kContinue:
      out += "{{continue}}";
      break;
    case NodeType::kIf:
    case NodeType::kRange:
    case NodeType::kWith:
      out += n.type == NodeType::kIf      ? "{{if "
             : n.type == NodeType::kRange ? "{{range "
                                          : "{{with ";
      AppendPipe(*n.pipe, out);
      out += "}}";
      AppendString(*n.list, out);
      if (n.else_list) {
        out += "{{else}}";
        AppendString(*n.else_list, out);
      }
      out += "{{end}}";
      break;
    case NodeType::kTemplate:
      out += "{{template " + GoQuote(n.text);
      if (n.pipe) {
        out += " ";
        AppendPipe(*n.pipe, out);
      }
      out += "}}";
      break;
    case NodeType::kList:
      for (const auto& c : n.children) AppendString(*c, out);
      break;
    case NodeType::kPipe:
      AppendPipe(n, out);
      break;
    case NodeType::kCommand:
      for (size_t i = 0; i < n.children.size(); ++i) {
        if (i > 0) out += ' ';
        if (n.children[i]->type == NodeType::kPipe) {
          out += '(';
          AppendPipe(*n.children[i], out);
          out += ')';
        } else {
          AppendString(*n.children[i], out);
        }
      }
      break;
    case NodeType::kIdentifier:
      out += n.text;
      break;
    case NodeType::kField:
      for (const auto& f : n.idents) out += "." + f;
      break;
    case NodeType::kVariable:
      for (size_t i = 0; i < n.idents.size(); ++i) {
        if (i > 0) out += '.';
        out += n.idents[i];
      }
      break;
    case NodeType::kChain:
      if (n.pipe->type == NodeType::kPipe) {
        out += '(';
        AppendPipe(*n.pipe, out);
        out += ')';
      } else {
        AppendString(*n.pipe, out);
      }
      for (const auto& f : n.idents) out += "." + f;
      break;
    case NodeType::kDot:
      out += ".";
      break;
    case NodeType::kNil:
      out += "nil";
      break;
    case NodeType::kBool:
      out += n.boolean ? "true" : "false";
      break;
    case NodeType::kNumber:
      out += n.text;
      break;
    case NodeType::kString:
      out += n.text;
      break;
    case NodeType::kElse:
      out += "{{else}}";
      break;
    case NodeType::kEnd:
      out += "{{end}}";
      break;
  }
}

}  // namespace

std::string PNode::String() const {
  std::string out;
  AppendString(*this, out);
  return out;
}

}  // namespace perfwatch::alert::tmpl
